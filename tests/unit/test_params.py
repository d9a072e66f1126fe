import random

import pytest

from drills.params import (KEY_SLIPS, LABEL_VALUE, ParamError, TYPO_STYLES, draw, key_slip, typo,
                           word_list)


def edit_distance_is_one_slip(a: str, b: str) -> bool:
    """True when b is a doubled/dropped letter, adjacent swap or case change of a."""
    if a.lower() == b.lower() and a != b:
        return True
    if len(b) == len(a) + 1:
        return any(b[:i + 1] + b[i + 2:] == a and b[i] == b[i + 1] for i in range(len(a)))
    if len(b) == len(a) - 1:
        return any(a[:i] + a[i + 1:] == b for i in range(len(a)))
    if len(b) == len(a):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] \
            and a[diffs[1]] == b[diffs[0]]
    return False


@pytest.mark.parametrize("word", word_list("app_names"))
def test_every_typo_is_one_realistic_slip(word):
    rng = random.Random(word)
    for _ in range(30):
        out = typo(word, rng)
        assert out != word
        assert LABEL_VALUE.match(out)
        assert edit_distance_is_one_slip(word, out), (word, out)


@pytest.mark.parametrize("style", sorted(TYPO_STYLES))
def test_each_typo_style_alone(style):
    out = typo("checkout", random.Random(1), [style])
    assert edit_distance_is_one_slip("checkout", out)


def test_typo_avoids_listed_values():
    rng = random.Random(0)
    for _ in range(50):
        assert typo("web", rng, ["double"], avoid={"wweb"}) in {"weeb", "webb"}


def test_key_slip_prefers_known_plausible_keys():
    rng = random.Random(3)
    for key, slips in KEY_SLIPS.items():
        assert key_slip(key, rng) in slips
    assert edit_distance_is_one_slip("owner", key_slip("owner", rng))


def test_draw_is_deterministic_and_ordered():
    decl = {"app": {"words": "app_names"}, "bad": {"typo": "app"},
            "port": {"port": "service"}, "cport": {"port": "container", "not": ["port"]},
            "np": {"nodeport": True}, "n": {"int": [2, 3]},
            "name": {"value": "{{ app }}-svc"}}
    first = draw(decl, 7)
    assert first == draw(decl, 7)
    assert first != draw(decl, 8)
    assert first["name"] == f"{first['app']}-svc"
    assert 30000 <= first["np"] <= 32767
    assert first["cport"] != first["port"]


def test_override_pins_value_and_feeds_later_draws():
    decl = {"app": {"words": "app_names"}, "bad": {"typo": "app"}, "n": {"int": [1, 100]}}
    plain = draw(decl, 11)
    pinned = draw(decl, 11, {"app": "web"})
    assert pinned["app"] == "web"
    assert edit_distance_is_one_slip("web", pinned["bad"])
    assert pinned["n"] == plain["n"]  # other draws stay those of the seed


def test_bad_declarations_are_param_errors():
    with pytest.raises(ParamError, match="no known generator"):
        draw({"x": {"bogus": 1}}, 1)
    with pytest.raises(ParamError, match="not drawn before"):
        draw({"x": {"int": [1, 2], "not": ["y"]}}, 1)
    with pytest.raises(ParamError, match="every candidate"):
        draw({"a": {"choice": [1]}, "b": {"choice": [1], "not": ["a"]}}, 1)
    with pytest.raises(ParamError, match="unknown parameter"):
        draw({"a": {"choice": [1]}}, 1, {"zzz": 2})
