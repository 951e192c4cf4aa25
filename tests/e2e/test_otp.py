"""End-to-end: OTP sign-up and password reset. Mail goes to the outbox when no SMTP server is configured, and
through a real SMTP server on loopback (Debian's aiosmtpd) when one is; the test reads the code from the
delivered mail."""
import email
import json
import re
import threading
import time
import unittest

from aiosmtpd.controller import Controller

from keel import Keel, free_port, wait_for

FAST = {"auth.argon2_memory_kib": 8192, "auth.argon2_ops": 1, "ratelimit.enabled": False,
        "auth.require_email_verification": True, "jobs.poll_interval_ms": 50}
PASSWORD = "correct horse battery"


def code_in(text):
    return re.search(r"code is (\d{6})", text).group(1)


class OutboxTest(unittest.TestCase):
    """No SMTP server: the outbox is the delivery, readable by an admin."""

    @classmethod
    def setUpClass(cls):
        cls.keel = Keel(FAST)
        cls.keel.start()
        cls.keel.create_user("root@example.com", PASSWORD, admin=True)
        cls.admin = cls.keel.login("root@example.com", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)

    def register(self, address):
        status, user = self.keel.call("POST", "/api/v1/auth/register",
                                      payload={"email": address, "password": PASSWORD, "name": "New"})
        self.assertEqual(status, 201, user)
        return user

    def mails_to(self, address):
        status, page = self.keel.call("GET", f"/api/v1/admin/outbox?to={address}", self.admin)
        self.assertEqual(status, 200, page)
        return page["items"]

    def latest_code(self, address, count=1):
        mails = wait_for(lambda: len(m := self.mails_to(address)) >= count and m, what=f"mail to {address}")
        self.assertEqual(mails[0]["transport"], "outbox")
        return code_in(mails[0]["text"])

    def test_sign_up_waits_for_the_code_then_logs_in(self):
        user = self.register("new@example.com")
        self.assertFalse(user["email_verified"])
        login = {"email": "new@example.com", "password": PASSWORD}
        status, problem = self.keel.call("POST", "/api/v1/auth/login", payload=login)
        self.assertEqual(status, 403, problem)
        self.assertIn("not verified", problem["detail"])
        status, _ = self.keel.call("POST", "/api/v1/auth/login", payload={**login, "password": "wrong password!"})
        self.assertEqual(status, 401)  # the verification state is only told to the password's owner

        code = self.latest_code("new@example.com")
        wrong = "000000" if code != "000000" else "111111"
        status, problem = self.keel.call("POST", "/api/v1/auth/verify", payload={"email": "new@example.com", "otp": wrong})
        self.assertEqual(status, 422, problem)
        self.assertEqual(problem["errors"][0]["field"], "otp")
        status, verified = self.keel.call("POST", "/api/v1/auth/verify",
                                          payload={"email": "New@Example.com ", "otp": code})
        self.assertEqual((status, verified["email_verified"]), (200, True))
        self.assertEqual(self.keel.call("POST", "/api/v1/auth/login", payload=login)[0], 200)
        # Single use.
        status, _ = self.keel.call("POST", "/api/v1/auth/verify", payload={"email": "new@example.com", "otp": code})
        self.assertEqual(status, 422)

    def test_five_wrong_codes_kill_the_code(self):
        self.register("guess@example.com")
        code = self.latest_code("guess@example.com")
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            status, _ = self.keel.call("POST", "/api/v1/auth/verify", payload={"email": "guess@example.com", "otp": wrong})
            self.assertEqual(status, 422)
        status, _ = self.keel.call("POST", "/api/v1/auth/verify", payload={"email": "guess@example.com", "otp": code})
        self.assertEqual(status, 422)

    def test_resend_is_limited_and_unknown_addresses_look_the_same(self):
        self.register("resend@example.com")
        self.latest_code("resend@example.com")
        for address in ("resend@example.com", "nobody@example.com"):
            status, body = self.keel.call("POST", "/api/v1/auth/otp/resend", payload={"email": address})
            self.assertEqual(status, 202, body)
        time.sleep(0.5)
        self.assertEqual(len(self.mails_to("resend@example.com")), 1)  # within the resend interval
        self.assertEqual(self.mails_to("nobody@example.com"), [])

    def test_bad_input_is_422_and_changes_nothing(self):
        before = self.keel.sql("SELECT COUNT(*) FROM jobs")[0][0]
        for payload in ({"email": "x@example.com", "otp": "12ab56"}, {"email": "x@example.com"},
                        {"email": "not-an-address", "otp": "123456"}, {"email": "x@example.com", "otp": "1234567"}):
            status, problem = self.keel.call("POST", "/api/v1/auth/verify", payload=payload)
            self.assertEqual(status, 422, (payload, problem))
        status, _ = self.keel.call("POST", "/api/v1/auth/password/reset",
                                   payload={"email": "x@example.com", "otp": "123456", "password": "short"})
        self.assertEqual(status, 422)
        self.assertEqual(self.keel.sql("SELECT COUNT(*) FROM jobs")[0][0], before)

    def test_password_reset_by_code_ends_other_sessions(self):
        self.keel.create_user("forgetful@example.com", PASSWORD)
        status, tokens = self.keel.call("POST", "/api/v1/auth/login",
                                        payload={"email": "forgetful@example.com", "password": PASSWORD})
        self.assertEqual(status, 200)
        status, _ = self.keel.call("POST", "/api/v1/auth/password/forgot", payload={"email": "forgetful@example.com"})
        self.assertEqual(status, 202)
        status, _ = self.keel.call("POST", "/api/v1/auth/password/forgot", payload={"email": "ghost@example.com"})
        self.assertEqual(status, 202)
        code = self.latest_code("forgetful@example.com")
        self.assertEqual(self.mails_to("ghost@example.com"), [])
        new_password = "an even better passphrase"
        status, body = self.keel.call("POST", "/api/v1/auth/password/reset",
                                      payload={"email": "forgetful@example.com", "otp": code, "password": new_password})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.keel.call("POST", "/api/v1/auth/login",
                                        payload={"email": "forgetful@example.com", "password": PASSWORD})[0], 401)
        self.assertEqual(self.keel.call("POST", "/api/v1/auth/login",
                                        payload={"email": "forgetful@example.com", "password": new_password})[0], 200)
        status, _ = self.keel.call("POST", "/api/v1/auth/refresh", payload={"refresh_token": tokens["refresh_token"]})
        self.assertEqual(status, 401)


class Mailbox:
    """An aiosmtpd handler that keeps every message."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address):
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


class SmtpTest(unittest.TestCase):
    def test_sign_up_code_arrives_by_smtp_and_verifies_the_account(self):
        mailbox = Mailbox()
        port = free_port()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            with Keel({**FAST, "mail.smtp_url": f"smtp://127.0.0.1:{port}", "mail.from": "noreply@keel.test"}) as keel:
                status, user = keel.call("POST", "/api/v1/auth/register",
                                         payload={"email": "smtp@example.com", "password": PASSWORD, "name": "S"})
                self.assertEqual((status, user["email_verified"]), (201, False))
                message = wait_for(lambda: mailbox.to("smtp@example.com"), what="the SMTP delivery")[0]
                self.assertEqual(message["From"], "noreply@keel.test")
                self.assertIn("verification code", message["Subject"])
                code = code_in(message.get_payload(decode=True).decode())
                status, verified = keel.call("POST", "/api/v1/auth/verify",
                                             payload={"email": "smtp@example.com", "otp": code})
                self.assertEqual((status, verified["email_verified"]), (200, True))
                status, _ = keel.call("POST", "/api/v1/auth/login",
                                      payload={"email": "smtp@example.com", "password": PASSWORD})
                self.assertEqual(status, 200)
                rows = keel.sql("SELECT transport, body FROM outbox WHERE to_address = 'smtp@example.com'")
                self.assertEqual(rows, [("smtp", None)])  # delivered; the code is not kept
        finally:
            controller.stop()

    def test_smtp_failures_are_retried_not_dropped(self):
        with Keel({**FAST, "mail.smtp_url": f"smtp://127.0.0.1:{free_port()}"}) as keel:
            status, _ = keel.call("POST", "/api/v1/auth/register",
                                  payload={"email": "later@example.com", "password": PASSWORD, "name": "L"})
            self.assertEqual(status, 201)

            def failed_once():
                rows = keel.sql("SELECT state, errors FROM jobs WHERE kind = 'mail.send'")
                return rows and rows[0][0] == "retryable" and rows[0]
            state, errors = wait_for(failed_once, what="a failed delivery")
            self.assertIn("SMTP delivery to 127.0.0.1", json.loads(errors)[0]["error"])


if __name__ == "__main__":
    unittest.main()
