"""Sending shipping emails to a real SMTP server or a folder; the unsubscribe link end to end."""

from __future__ import annotations

import socket
from datetime import date
from email import message_from_binary_file, policy

import httpx
import pytest

from orderflow.config import load_settings
from orderflow.db.engine import Database
from orderflow.db.migrate import upgrade
from orderflow.db.models import EmailOptOut, Shop
from orderflow.emails.render import Brand, CustomerEmail, Item, Tracking, customer_message
from orderflow.emails.send import (
    FolderMailer,
    MailNotSent,
    MailOutcomeUnknown,
    SmtpMailer,
    mailer_from_settings,
)
from orderflow.emails.unsubscribe import opt_out, opted_out, unsubscribe_token

from .smtp import SmtpServer

SENDER = "shipping@orderflow.example"
EMAIL = CustomerEmail(
    kind="shipped", order_name="#1001", customer_name="Jane Doe",
    items=(Item("Blue enamel mug", 2),),
    tracking=(Tracking("UPS", "Ground", "1Z999AA10123456784", "https://www.ups.com/track?n=1Z9"),),
    estimated_delivery=date(2026, 11, 28), tracking_page_url="https://app.example.com/t/abc",
)


def shipped(to="jane@example.com", message_id="<notice-42@orderflow>", unsubscribe="https://x/u"):
    return customer_message(EMAIL, Brand("Maple & Co", colour="#d0451b"), to, SENDER, unsubscribe,
                            message_id)


@pytest.fixture
def smtp(smtp_server):
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Sending over SMTP

def test_smtp_mailer_delivers_the_message(smtp):
    SmtpMailer(smtp.url).send(shipped())
    [got] = smtp.wait_for(1)
    assert got.recipients == ["jane@example.com"]
    assert got.sender == SENDER
    assert got.message["Subject"] == "Your order #1001 is on its way"
    assert got.message["Message-ID"] == "<notice-42@orderflow>"
    assert got.message["From"].addresses[0].display_name == "Maple & Co"
    html = got.message.get_body(("html",)).get_content()
    assert "1Z999AA10123456784" in html and "background-color: #d0451b" in html
    assert "Blue enamel mug" in got.message.get_body(("plain",)).get_content()


def test_a_line_starting_with_a_dot_arrives_intact(smtp):
    message = shipped()
    message.get_body(("plain",)).set_content(".hidden line\n..two dots\n.\nend\n",
                                             cte="quoted-printable")
    SmtpMailer(smtp.url).send(message)
    [got] = smtp.wait_for(1)
    text = got.message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text == ".hidden line\n..two dots\n.\nend\n"


def test_an_international_address_is_delivered_with_smtputf8(smtp):
    SmtpMailer(smtp.url).send(shipped(to="zoë@example.com"))
    [got] = smtp.wait_for(1)
    assert got.recipients == ["zoë@example.com"]


def test_smtp_mailer_logs_in_when_the_url_has_credentials():
    server = SmtpServer(credentials=("shop", "s3cret pass")).start()
    try:
        SmtpMailer(f"smtp://shop:s3cret%20pass@127.0.0.1:{server.port}").send(shipped())
        assert len(server.wait_for(1)) == 1
        with pytest.raises(MailNotSent) as caught:
            SmtpMailer(f"smtp://shop:wrong-hunter2@127.0.0.1:{server.port}").send(shipped())
        assert "535" in str(caught.value) and "hunter2" not in str(caught.value)
        assert len(server.received) == 1
    finally:
        server.stop()


def test_a_closed_port_raises_mail_not_sent():
    with pytest.raises(MailNotSent, match="no session with 127.0.0.1"):
        SmtpMailer(f"smtp://127.0.0.1:{closed_port()}", timeout=5).send(shipped())


def test_starttls_that_the_server_does_not_offer_is_not_skipped(smtp):
    with pytest.raises(MailNotSent):
        SmtpMailer(f"{smtp.url}?starttls=true").send(shipped())
    assert smtp.received == []


def test_a_refused_message_raises_mail_not_sent(smtp):
    smtp.refuse = "550 5.7.1 Message rejected"
    with pytest.raises(MailNotSent, match="550 5.7.1 Message rejected"):
        SmtpMailer(smtp.url).send(shipped())


def test_a_connection_lost_after_the_data_raises_outcome_unknown(smtp):
    smtp.hang_up = True
    with pytest.raises(MailOutcomeUnknown):
        SmtpMailer(smtp.url).send(shipped())
    assert len(smtp.wait_for(1)) == 1


def test_on_message_runs_as_the_message_arrives(smtp):
    seen = []
    smtp.on_message = lambda received: seen.append(received.message["Message-ID"])
    SmtpMailer(smtp.url).send(shipped())
    assert seen == ["<notice-42@orderflow>"]


# The folder of .eml files (the embedded default)

def test_folder_mailer_writes_a_readable_eml_file(tmp_path):
    folder = tmp_path / "instance" / "mail"
    FolderMailer(str(folder)).send(shipped(message_id="<notice-42@orderflow>"))
    [path] = folder.iterdir()
    assert path.name == "notice-42@orderflow.eml"
    with path.open("rb") as file:
        message = message_from_binary_file(file, policy=policy.default)
    assert message["Subject"] == "Your order #1001 is on its way"
    assert "1Z999AA10123456784" in message.get_body(("plain",)).get_content()


def test_folder_mailer_replaces_the_file_of_a_resent_message(tmp_path):
    mailer = FolderMailer(str(tmp_path))
    mailer.send(shipped())
    mailer.send(shipped())
    mailer.send(shipped(message_id="<../../etc/passwd>"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "_.._etc_passwd.eml", "notice-42@orderflow.eml"]


def test_folder_mailer_that_cannot_write_raises_mail_not_sent(tmp_path):
    (tmp_path / "mail").write_text("a file where the folder should be")
    with pytest.raises(MailNotSent):
        FolderMailer(str(tmp_path / "mail")).send(shipped())


def test_mailer_from_settings():
    folder = mailer_from_settings(load_settings({"MAIL_DIR": "/tmp/of-mail"}, environ={}))
    assert folder == FolderMailer("/tmp/of-mail")
    settings = load_settings({"SMTP_URL": "smtps://u:p@mail.example.com"}, environ={})
    smtp = mailer_from_settings(settings)
    assert isinstance(smtp, SmtpMailer) and (smtp.host, smtp.port) == ("mail.example.com", 465)


# Unsubscribing

@pytest.fixture
def shop(svc):
    with svc.db.session() as s, s.begin():
        row = Shop(domain="maple.myshopify.com", name="Maple & <Co>")
        s.add(row)
    return row


@pytest.fixture
def client(app):
    return app.test_client()


def link(svc, shop_id, email="Jane@Example.com") -> str:
    return f"/email/unsubscribe/{unsubscribe_token(svc.settings.SECRET_KEY, shop_id, email)}"


def is_opted_out(svc, shop_id, email="jane@example.com") -> bool:
    with svc.db.session() as s:
        return opted_out(s, shop_id, email)


def test_get_asks_to_confirm_and_does_not_unsubscribe(client, svc, shop):
    response = client.get(link(svc, shop.id))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Maple &amp; &lt;Co&gt;" in page and "jane@example.com" in page
    assert '<form method="post">' in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert not is_opted_out(svc, shop.id)


def test_post_unsubscribes_and_a_second_post_is_fine(client, svc, shop):
    for _ in range(2):
        response = client.post(link(svc, shop.id))
        assert response.status_code == 200
        assert ("You will no longer receive shipping updates from Maple &amp; &lt;Co&gt;"
                in response.get_data(as_text=True))
    assert is_opted_out(svc, shop.id)
    assert is_opted_out(svc, shop.id, "JANE@example.com ")
    with svc.db.session() as s:
        assert s.query(EmailOptOut).count() == 1


def test_one_click_post_from_the_email_header_unsubscribes(smtp, svc, shop, base_url):
    unsubscribe = base_url + link(svc, shop.id, "jane@example.com")
    SmtpMailer(smtp.url).send(shipped(unsubscribe=unsubscribe))
    [got] = smtp.wait_for(1)
    assert got.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = got.message["List-Unsubscribe"].strip("<>")
    response = httpx.post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert is_opted_out(svc, shop.id)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_token_is_a_404_and_changes_nothing(client, svc, shop, method):
    forged = unsubscribe_token("not-our-secret", shop.id, "jane@example.com")
    for token in (forged, "garbage", link(svc, shop.id).rsplit("/", 1)[1][:-3] + "abc"):
        response = getattr(client, method)(f"/email/unsubscribe/{token}")
        assert response.status_code == 404
        assert "This link doesn't work" in response.get_data(as_text=True)
    assert not is_opted_out(svc, shop.id)


def test_a_token_for_a_shop_that_is_gone_is_a_404(client, svc, shop):
    assert client.post(link(svc, shop.id + 1000)).status_code == 404


def test_opting_out_is_per_shop(client, svc, shop):
    with svc.db.session() as s, s.begin():
        other = Shop(domain="birch.myshopify.com", name="Birch")
        s.add(other)
    client.post(link(svc, shop.id))
    assert is_opted_out(svc, shop.id)
    assert not is_opted_out(svc, other.id)
    assert not is_opted_out(svc, shop.id, "someone-else@example.com")


def test_opt_out_is_idempotent_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path}/orderflow.db"
    upgrade(url)
    db = Database(url)
    with db.session() as s, s.begin():
        s.add(Shop(id=1, domain="maple.myshopify.com"))
    for _ in range(2):
        with db.session() as s, s.begin():
            opt_out(s, 1, "Jane@Example.com")
    with db.session() as s:
        assert opted_out(s, 1, "jane@example.com")
        assert s.query(EmailOptOut).count() == 1
    db.dispose()
