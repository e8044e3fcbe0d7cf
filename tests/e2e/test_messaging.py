"""Secure messaging in the browser (issue 17 proof): a thread patient → therapist → reply with the text
that announces the reply in the outbox, and a message in crisis words that shows 988 at once and puts
an urgent task in front of every team member. Demo patients: Riley Carter (team: Dr. Maya Chen and
Marcus Green, LMHC) and Devon Park (team: Dr. Maya Chen and Priya Patel, LCSW)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from app.demo.seed import DEMO_PASSWORD, email_for
from tests.e2e.conftest import shot, sign_in, sign_out

NUDGE = "You have a new message in Harbor Mind."


def _fits_375(page: Page) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    page.set_viewport_size({"width": 1280, "height": 900})


def test_patient_writes_the_therapist_replies_and_the_patient_is_texted_without_content(
    page: Page, live_server: str
) -> None:
    sign_in(page, live_server, email_for("patient4"), DEMO_PASSWORD)
    page.goto(f"{live_server}/settings/sms")
    page.get_by_label("Mobile number").fill("(206) 555-0147")
    page.locator("#consent").check()
    page.get_by_role("button", name=re.compile("Turn on texts|Save number")).click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Messages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages with your care team")
    expect(page.get_by_text("Messages are not for emergencies.")).to_be_visible()
    expect(page.locator("#not-for-emergencies a[href='tel:988']")).to_be_visible()
    expect(page.locator("#not-for-emergencies a[href='tel:911']")).to_be_visible()
    page.get_by_role("button", name="Send").click()  # empty: the error next to the field, in plain words
    expect(page.locator("#body-error")).to_have_text("Write a message before sending.")
    page.get_by_label("Write to your care team").fill("Could we move Thursday's session to the afternoon?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Message sent to your care team.")).to_be_visible()
    mine = page.locator("li.message", has_text="Thursday's session")
    expect(mine).to_contain_text("Not read yet")
    _fits_375(page)
    shot(page, "messaging-patient-writes")
    sign_out(page)

    sign_in(page, live_server, email_for("lmhc"), DEMO_PASSWORD)
    expect(page.locator("#messages-summary")).to_contain_text("1 unread")
    shot(page, "messaging-therapist-dashboard-unread")
    page.get_by_role("link", name=re.compile("Caseload")).first.click()
    expect(page.locator("tr", has_text="Riley Carter")).to_contain_text("1 unread")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Messages").click()
    row = page.locator("li.thread-row", has_text="Riley Carter")
    expect(row).to_contain_text("1 unread")
    expect(row).not_to_contain_text("Thursday")  # the inbox shows counts, not content
    _fits_375(page)
    shot(page, "messaging-therapist-inbox")
    row.get_by_role("link", name="Riley Carter").click()
    expect(page.get_by_text("Could we move Thursday's session to the afternoon?")).to_be_visible()
    page.get_by_label("Reply to Riley Carter").fill("Yes, 3 PM works. See you then.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Message sent.")).to_be_visible()
    expect(page.locator("li.message", has_text="3 PM works")).to_be_visible()
    expect(page.locator("li.message", has_text="Thursday's session")).to_contain_text("Read by you")
    shot(page, "messaging-therapist-replies")
    page.goto(f"{live_server}/outbox?status=queued")  # queued: due now, or at 08:00 after quiet hours
    nudge = page.locator("tr", has_text="Riley Carter").filter(has_text="message nudge").first
    expect(nudge).to_contain_text(NUDGE)
    expect(nudge).not_to_contain_text("works. See you then")  # not "3 PM": the row's own times can say 5:33 PM
    expect(nudge).to_contain_text("+12065550147")
    shot(page, "messaging-outbox-nudge")
    sign_out(page)

    sign_in(page, live_server, email_for("patient4"), DEMO_PASSWORD)
    expect(page.locator("#messages-summary")).to_contain_text("1 unread")
    page.locator("#messages-summary").get_by_role("link").click()
    expect(page.locator("li.message", has_text="3 PM works")).to_contain_text("Marcus Green, LMHC")
    expect(page.locator("li.message", has_text="Thursday's session")).to_contain_text("Read by Marcus Green, LMHC")
    shot(page, "messaging-patient-reads-reply")
    sign_out(page)


def test_a_message_in_crisis_words_shows_988_at_once_and_opens_urgent_tasks(page: Page, live_server: str) -> None:
    sign_in(page, live_server, email_for("patient5"), DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Messages").click()
    page.get_by_label("Write to your care team").fill("I don't want to live anymore. Everything feels pointless.")
    page.get_by_role("button", name="Send").click()
    crisis = page.get_by_role("alert").filter(has_text="988")
    expect(crisis).to_be_visible()
    expect(crisis.get_by_role("link", name="988")).to_have_attribute("href", "tel:988")
    expect(crisis.get_by_role("link", name="911")).to_have_attribute("href", "tel:911")
    expect(crisis).to_contain_text("Your message was sent")
    expect(page.locator("li.message", has_text="pointless")).to_be_visible()  # delivered, not held back
    shot(page, "messaging-crisis-988")
    sign_out(page)

    for handle, name in (("psychiatrist", "Dr. Maya Chen"), ("lcsw", "Priya Patel, LCSW")):
        sign_in(page, live_server, email_for(handle), DEMO_PASSWORD)
        page.goto(f"{live_server}/caseload")
        task = page.locator("li.task-urgent", has_text="a message from the patient used crisis words")
        expect(task).to_have_count(1)
        expect(task).to_contain_text("Devon Park")
        expect(task).to_contain_text(f"Owner: {name}")
        shot(page, f"messaging-crisis-urgent-task-{handle}")
        page.goto(f"{live_server}/messages")
        expect(page.locator("li.thread-row", has_text="Devon Park")).to_contain_text("crisis words")
        shot(page, f"messaging-crisis-inbox-{handle}")
        sign_out(page)
