"""What a merchant does to an order or a shipment, shared by the JSON API and the admin pages."""
