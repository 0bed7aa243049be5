"""Animations of the sweeps (ad.animate): frames, pictures, files and words.

Oracles: the textbook's reverse adjoint trace of the classic example, worked edge by
edge by hand; on random expressions, backward() for the reverse sweep's last frame and
forward mode (Dual numbers, ad.jvp) for the forward sweep's; Pillow reading the GIF back.
"""

import os
import re
import shutil

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from exprs import expressions  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from PIL import Image  # noqa: E402

import adlearn as ad  # noqa: E402
from adlearn.views.animation import sweep_frames  # noqa: E402
from adlearn.cli import main  # noqa: E402
from adlearn.errors import ArgumentError, UnknownInputError  # noqa: E402
from adlearn.views.recording import Recording  # noqa: E402
from adlearn.views.sweeps import FORWARD_COUNT, REVERSE_COUNT  # noqa: E402


def classic():
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(5.0, name="x2")
    return [x1, x2], ad.log(x1) + x1 * x2 - ad.sin(x2)


def test_the_reverse_sweep_of_the_classic_example_one_node_a_frame():
    inputs, y = classic()
    frames = sweep_frames(y, inputs=inputs)
    # by hand: v5 passes to v4 and v3, v4 to v1 and v2, v3 to v0, v2 to v-1 and v0, v1 to v-1
    assert [f.node for f in frames] == ["v5", "v5", "v4", "v3", "v2", "v1"]
    assert [[e[:2] for e in f.edges] for f in frames] == [
        [], [("v4", "v5"), ("v3", "v5")], [("v1", "v4"), ("v2", "v4")], [("v0", "v3")],
        [("v-1", "v2"), ("v0", "v2")], [("v-1", "v1")]]
    adjoints = [(f.values.get("v-1"), f.values.get("v0")) for f in frames]
    assert adjoints[3:] == [(None, pytest.approx(-0.283662, abs=1e-6)),
                            (5.0, pytest.approx(1.716338, abs=1e-6)),
                            (5.5, pytest.approx(1.716338, abs=1e-6))]
    # v0's adjoint is final only once v2 has passed along its second edge
    assert "v0" not in frames[3].final and "v0" in frames[4].final
    assert frames[4].caption[:2] == ("v2 = v-1 × v0 passes v̄2 = 1 back to its inputs:",
                                     "v̄-1 += v̄2 · ∂v2/∂v-1 = 1 · 5 = 5 (more to come)")
    assert frames[-1].caption[-1].startswith("Done: every adjoint is final")


def test_x_times_x_gets_one_frame_that_passes_along_both_uses_of_x():
    x = ad.Var(3.0, name="x")
    frames = sweep_frames(x * x)
    assert [f.values.get("v0") for f in frames] == [None, 6.0]
    assert [len(f.edges) for f in frames] == [0, 2]
    assert [("v0" in f.final) for f in frames] == [False, True]
    forward = sweep_frames(x * x, "forward", "x")
    assert [f.values.get("v1") for f in forward] == [None, 6.0]


def test_the_animation_and_the_explorer_count_the_sweep_the_same_way_and_say_so():
    inputs, y = classic()
    explorer = ad.explore(lambda x1, x2: ad.log(x1) + x1 * x2 - ad.sin(x2), x1=2.0, x2=5.0)
    for sweep, stepper in (("reverse", explorer.reverse), ("forward", explorer.forward)):
        animation = ad.animate(y, sweep, "x1", inputs=inputs, dpi=20)
        assert [(f.node, f.edges, f.caption) for f in animation.frames] == [
            (s.node, s.edges, s.caption) for s in stepper.steps]
        count = REVERSE_COUNT if sweep == "reverse" else FORWARD_COUNT
        assert count in animation.title and count in stepper.box.children[0].value
        assert f"in {len(stepper.steps)} steps (0 to {len(stepper.steps) - 1})" in animation.title
    explorer.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_the_last_frames_hold_the_gradient_and_the_tangent(expr):
    """Reverse: the inputs' adjoints in the last frame are backward()'s gradient.
    Forward, seeded on each input: the output's tangent is forward mode's (Duals)."""
    xs, y = expr.graph()
    y.backward()
    ids = Recording(y, xs).ids
    last = sweep_frames(y, inputs=xs)[-1].values
    point = tuple(x.value for x in xs)
    for x in xs:
        assert last.get(ids[x], 0.0) == pytest.approx(x.grad, rel=1e-9, abs=1e-12)
        seed = tuple(1.0 if v is x else 0.0 for v in xs)
        _, tangent = ad.jvp(expr, point, seed)
        forward = sweep_frames(y, "forward", x, inputs=xs)[-1].values
        assert forward.get(ids[y], 0.0) == pytest.approx(tangent, rel=1e-9, abs=1e-12)


def test_the_animation_draws_each_frame_and_says_it_in_words(tmp_path):
    inputs, y = classic()
    animation = ad.animate(y, inputs=inputs, dpi=40)
    animation.show(4)
    texts = {t.get_text() for t in animation.drawing.node_texts.values()}
    assert "v-1 = x1\n= 2\nv̄-1 = 5 so far" in texts
    key = animation.drawing.step_key.get_text().splitlines()
    assert key[0] == "Reverse sweep, step 4 of 5: v2 passes its adjoint back along the coloured edges."
    assert key[1:] == list(animation.frames[4].caption)
    words = animation.description.splitlines()
    assert words.count("v5 = v4 - v3 passes v̄5 = 1 back to its inputs:") == 1  # said once
    assert "v̄0 += v̄2 · ∂v2/∂v0 = 1 · 2 = 2, so v̄0 = 1.716 (final)" in words
    assert animation.title == ("Reverse sweep over the graph of ((ln x1) + (x1 × x2)) - "
                               "(sin x2), one node at a time, in 6 steps (0 to 5). At step k "
                               "the k-th node from the output passes its adjoint back to its "
                               "inputs.")
    gif = tmp_path / "sweep.gif"
    animation.save(gif)
    with Image.open(gif) as image:
        assert image.n_frames == 6 and image.info["duration"] == 1200
        assert image.info["comment"].decode() == f"{animation.title}\n{animation.description}"


def test_inline_html_has_every_frame_and_its_alt_text():
    inputs, y = classic()
    animation = ad.animate(y, "forward", "x2", inputs=inputs, dpi=30)
    shown = animation._repr_html_()
    assert len(re.findall(r"data:image/png;base64", shown)) == len(animation.frames) == 6
    assert 'alt="Forward sweep over the graph of' in shown and 'aria-label="frame"' in shown
    assert "The animation in words" in shown and "Seeded on v0: v̇-1 = 0, v̇0 = 1" in shown


def test_bad_requests_are_clear_errors(tmp_path, monkeypatch):
    inputs, y = classic()
    with pytest.raises(ArgumentError, match="sweep must be 'reverse' or 'forward', not 'up'"):
        ad.animate(y, "up")
    with pytest.raises(UnknownInputError, match="no input named 'x3'"):
        ad.animate(y, "forward", "x3")
    animation = ad.animate(y, dpi=20)
    with pytest.raises(ArgumentError, match="saved as .gif or .mp4"):
        animation.save(tmp_path / "sweep.avi")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ArgumentError, match="an MP4 needs ffmpeg"):
        animation.save(tmp_path / "sweep.mp4")


@pytest.mark.skipif(shutil.which("ffmpeg") is None and not os.environ.get("CI"),
                    reason="ffmpeg is not installed (bash scripts/test installs it where it can)")
def test_an_mp4_where_ffmpeg_is_installed(tmp_path):
    """On CI it runs: a missing ffmpeg fails it there, rather than skipping it."""
    inputs, y = classic()
    ad.animate(y, inputs=inputs, dpi=40).save(tmp_path / "sweep.mp4")
    assert (tmp_path / "sweep.mp4").stat().st_size > 1000


def test_cli_animate(capsys, tmp_path):
    gif = tmp_path / "sweep.gif"
    assert main(["animate", "log(x1) + x1*x2 - sin(x2)", "--at", "x1=2", "x2=5", "-o", str(gif),
                 "--sweep", "forward", "--wrt", "x2", "--dpi", "30", "--describe"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"wrote {gif} (6 frames)"
    assert out[1].startswith("Forward sweep over the graph of")
    with Image.open(gif) as image:
        assert image.n_frames == 6
    assert main(["animate", "x*y", "--at", "x=1", "y=2", "-o", str(tmp_path / "a.avi")]) == 2
    assert "saved as .gif or .mp4" in capsys.readouterr().err
    for option, message in ((["--dpi", "0"], "--dpi must be between 10 and 1200, not 0"),
                            (["--interval", "0"], "--interval is milliseconds per frame")):
        assert main(["animate", "x*y", "--at", "x=1", "y=2", "-o", str(gif), *option]) == 2
        err = capsys.readouterr().err
        assert err.startswith("adlearn: error: ") and message in err and err.count("\n") == 1


def test_the_inline_player_asks_nothing_from_the_network_and_frames_are_80_dpi():
    inputs, y = classic()
    animation = ad.animate(y, inputs=inputs)
    assert animation.dpi == 80  # legible at 100 % zoom, as the figures
    shown = animation._repr_html_()
    assert re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}/", shown) == []  # no CDN, no URL
    assert "font-awesome" not in shown and "<link" not in shown and 'class="fa ' not in shown
    assert 'aria-label="Play"' in shown and "▶" in shown  # the buttons say what they do
