"""Only verified answers count: our order number, our amount, a listed HTTP status, a valid signature — over real
HTTP on both back ends; and the engine itself refuses a failure code the channel's profile does not list."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import random
from pathlib import Path

import msgspec
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from payout_core.channels import AnswerRules, SignatureRule
from payout_core.dispatch import (
    AnswerReader,
    ChannelAnswer,
    Expected,
    Pending,
    SignatureKeyUnusable,
    Signed,
    Succeeded,
    evidence_of,
    load_verifier,
)
from payout_core.ledger import merchant_account
from payout_core.orders import PayoutEngine, UnlistedFailureCode
from payout_core.store import Store
from tests.fakechannel import FAKE_RULES, FakeChannel, Scenario
from tests.fakechannel.bench import Bench, fake_profile
from tests.payout_core.builders import BENCH_FUNDS, Clock, recipient

AMOUNT = 12_345


def _dispatch(bench: Bench, scenario: Scenario, no: str = "V1") -> int:
    order = bench.routed(no, recipient(AMOUNT), scenario, random.Random(7))
    bench.dispatcher.dispatch(order.id)
    return order.id


@pytest.mark.parametrize(
    ("scenario", "why"),
    [
        ("wrong_order_no", "the answer names order"),
        ("proxy_404", "HTTP 404 carries no answer"),
        ("answer_wrong_amount", f"names amount {AMOUNT + 1} fen, not {AMOUNT}"),
    ],
)
def test_an_answer_that_does_not_count_is_evidence_and_an_alert(
    bench: Bench, clock: Clock, caplog: pytest.LogCaptureFixture, scenario: Scenario, why: str
) -> None:
    """The channel paid each of these, but the dispatch answer reads like a decline (or names another amount):
    the order stays in progress, the answer is kept, an alert names it; a verified query answer then decides."""
    with caplog.at_level(logging.ERROR, logger="payout_core.alerts"):
        order_id = _dispatch(bench, scenario)
    order = bench.engine.get(order_id)
    assert order.state == "dispatching"
    with bench.store.transaction() as tx:
        (ev,) = evidence_of(tx, order_id)
    assert isinstance(ev.outcome, Pending) and ev.outcome.unverified and why in ev.outcome.reason
    assert f"unverified answer about order {order.channel_order_no}" in caplog.text and why in caplog.text
    clock.advance(seconds=10)
    bench.dispatcher.run_due()
    expected = "dispatching" if scenario == "answer_wrong_amount" else "succeeded"  # its queries name it too
    assert bench.engine.get(order_id).state == expected
    assert bench.engine.balance(merchant_account("m1", "available")) == BENCH_FUNDS - AMOUNT


@pytest.fixture
def signed(store: Store, clock: Clock, fake: FakeChannel) -> Bench:
    return Bench(store, fake, clock, funds=BENCH_FUNDS, keys={"fake": "k-" + str(random.random())})


def test_a_signing_channel_s_answers_count_only_with_a_valid_signature(signed: Bench, clock: Clock) -> None:
    paid = _dispatch(signed, "success", "S1")
    assert signed.engine.get(paid).state == "succeeded"  # the fake signed it with the account's key
    forged = _dispatch(signed, "forged_signature", "S2")  # a decline signed with another key
    assert signed.engine.get(forged).state == "dispatching"
    with signed.store.transaction() as tx:
        (ev,) = evidence_of(tx, forged)
    assert isinstance(ev.outcome, Pending) and "signature does not verify" in ev.outcome.reason
    clock.advance(seconds=10)
    signed.dispatcher.run_due()
    assert signed.engine.get(forged).state == "succeeded"


def test_an_unsigned_answer_does_not_count_where_the_profile_signs(bench: Bench) -> None:
    profile = msgspec.structs.replace(
        fake_profile("fake", FAKE_RULES),
        answers=AnswerRules(signature=SignatureRule(algorithm="hmac-sha256", encoding="hex", key_env="K_{account}")),
    )
    reader = AnswerReader("fake", profile, load_verifier(profile.answers.signature, "fake", {"K_FAKE": "secret"}))  # type: ignore[arg-type]
    answer = ChannelAnswer(order_no="PO1", code="ACCOUNT_INVALID")
    outcome = reader.read(lambda status, body: answer, 200, b"{}", None, Expected("PO1", 5))
    assert isinstance(outcome, Pending) and outcome.unverified and "carries no signature" in outcome.reason


def test_a_signing_account_without_its_key_refuses_to_start(signed: Bench) -> None:
    variable = "FAKE_CHANNEL_KEY_FAKE"
    key = __import__("os").environ.pop(variable)
    try:
        with pytest.raises(SignatureKeyUnusable, match=f"environment variable {variable}") as refused:
            signed.new_dispatcher()
        assert key not in str(refused.value)
    finally:
        __import__("os").environ[variable] = key


def test_listed_statuses_are_profile_data() -> None:
    profile = msgspec.structs.replace(
        fake_profile("fake", FAKE_RULES), answers=AnswerRules(statuses=frozenset({200, 400}))
    )
    reader = AnswerReader("fake", profile, None)
    declined = ChannelAnswer(order_no="PO1", code="ACCOUNT_INVALID", message="账户不存在")
    assert type(reader.read(lambda s, b: declined, 400, b"{}", None, Expected("PO1", 5))).__name__ == "Failed"
    refused = reader.read(lambda s, b: declined, 404, b"{}", None, Expected("PO1", 5))
    assert isinstance(refused, Pending) and refused.unverified and "the profile lists 200, 400" in refused.reason
    five = reader.read(lambda s, b: declined, 503, b"{}", None, Expected("PO1", 5))
    assert isinstance(five, Pending) and not five.unverified


def test_hmac_and_rsa_signatures(tmp_path: Path) -> None:
    payload = b"amount=5&code=SUCCESS&order_no=PO1"
    hmac_rule = SignatureRule(algorithm="hmac-sha256", encoding="hex", key_file=str(tmp_path / "{account}.key"))
    (tmp_path / "wx-1.key").write_text("shared-secret\n")
    verifier = load_verifier(hmac_rule, "wx-1")
    good = hmac.new(b"shared-secret", payload, hashlib.sha256).hexdigest()
    assert verifier.verify(payload, good.upper()) and not verifier.verify(payload + b"0", good)
    assert not verifier.verify(payload, "not hex")
    with pytest.raises(SignatureKeyUnusable, match="cannot be read"):
        load_verifier(hmac_rule, "wx-2")

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    rsa_rule = SignatureRule(algorithm="rsa-sha256", key_env="ALIPAY_{account}_PUBLIC_KEY")
    verifier = load_verifier(rsa_rule, "ali-1", {"ALIPAY_ALI_1_PUBLIC_KEY": pem.decode()})
    signature = base64.b64encode(private.sign(payload, padding.PKCS1v15(), hashes.SHA256())).decode()
    assert verifier.verify(payload, signature)
    assert not verifier.verify(payload.replace(b"5", b"6"), signature) and not verifier.verify(payload, "!!")
    with pytest.raises(SignatureKeyUnusable, match="not a PEM public key"):
        load_verifier(rsa_rule, "ali-1", {"ALIPAY_ALI_1_PUBLIC_KEY": "hello"})


def test_signed_answers_are_checked_over_the_exact_bytes_signed() -> None:
    reader = AnswerReader(
        "fake",
        msgspec.structs.replace(
            fake_profile("fake", FAKE_RULES),
            answers=AnswerRules(signature=SignatureRule(algorithm="hmac-sha256", encoding="hex", key_env="K")),
        ),
        load_verifier(SignatureRule(algorithm="hmac-sha256", encoding="hex", key_env="K"), "fake", {"K": "s"}),
    )
    text = b"code=SUCCESS&order_no=PO1"
    answer = ChannelAnswer(
        order_no="PO1",
        code="SUCCESS",
        signed=Signed(payload=text, signature=hmac.new(b"s", text, "sha256").hexdigest()),
    )
    assert reader.read(lambda s, b: answer, 200, b"{}", None, Expected("PO1", 5)) == Succeeded(code="SUCCESS")


def test_the_engine_refuses_a_failure_code_its_channel_does_not_list(funded: PayoutEngine, store: Store) -> None:
    """The allow-list is the engine's, not only the dispatcher's: READ_TIMEOUT fails nothing, and writes nothing."""
    order = funded.approve(funded.submit("m1", "T1", recipient()).id, "alice")
    order = funded.mark_dispatching(funded.route(order, random.Random(0)).id)
    frozen = funded.balance(merchant_account("m1", "frozen"))
    with pytest.raises(UnlistedFailureCode, match="'READ_TIMEOUT' is not a failure code of channel 'wx'"):
        funded.mark_failed(order.id, code="READ_TIMEOUT", reason="timed out")
    assert funded.get(order.id).state == "dispatching"
    assert funded.balance(merchant_account("m1", "frozen")) == frozen
    with store.transaction() as tx, pytest.raises(UnlistedFailureCode):
        funded.mark_failed(order.id, code="SYSTEMERROR", reason="pending code", tx=tx)
    assert funded.get(order.id).state == "dispatching"
    assert funded.mark_failed(order.id, code="FAILED", reason="declined").state == "failed"  # wechat_bank lists it
