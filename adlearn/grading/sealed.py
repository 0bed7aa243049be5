"""A value answer sealed in the check data: what the learner's ``check`` can test a value
against without the data giving the value away.

The build rounds the accepted value on a grid of its own, centred on it (each bucket as
wide as twice the tolerance: absolute below 1, relative, in logarithms, above), and
keeps only where the grid starts (less than one bucket, which says nothing about which
bucket) and a salted, deliberately slow key-derivation hash (PBKDF2-HMAC-SHA256, a
million rounds) of the bucket numbers. A learner's value within the tolerance falls
into the same buckets, so their one ``check`` costs one slow hash; whoever wants the
value from the data must hash every candidate: every bucket out from 0, after a list
of "nice" numbers. ``attack_position`` counts those candidates for a value, which with
the cost of one hash gives the CPU time to recover it (tests/test_sealed.py; the goal is
at least an hour). Where even that is too little (a count, a small integer, a wide
tolerance), the question's check says only whether the answer has the right form and
whether it is a known mistake (``Question(check="form")``), and the grader alone judges it.

Known mistakes are sealed the same way but with a fast hash (SHA-256): they are wrong
answers, and testing a failed answer against each stays instant.
"""

import hashlib
import json
import math

ROUNDS = 1_000_000  # PBKDF2 rounds of a sealed value: about 0.2 s of one CPU here
HOUR = 3600.0
SECONDS_PER_HASH = 0.2  # what the build assumes (tests/test_sealed.py measures it)


def _nice():
    """The candidates an attacker tries first, in order: 0 and the integers to 1000 (out
    from 0), then numbers of one or two significant digits (2.5, 0.25, 1e-5) and a few
    of three (1.25), by exponent out from 1."""
    integers = [0.0, *(s * n for n in range(1, 1001) for s in (1.0, -1.0))]
    mantissas = [*(k / 10 for k in range(10, 100)), 1.25, 2.25, 3.75, 6.25, 7.5, 8.75]
    short = [s * m * 10.0 ** e for e in sorted(range(-12, 5), key=abs) for m in mantissas
             for s in (1.0, -1.0)]
    return tuple(dict.fromkeys(integers + short))


NICE = _nice()


def numbers(value):
    """The numbers of a value (a number, or lists, tuples and dicts of them), in order."""
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in numbers(v)]
    if isinstance(value, dict):
        return [x for k in sorted(value) for x in numbers(value[k])]
    return []


def form(value):
    """The value's shape with every number replaced by "#" (its keys and lengths)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, list, tuple, dict)):
        return value if isinstance(value, (str, type(None), bool)) else repr(type(value))
    if isinstance(value, (int, float)):
        return "#"
    if isinstance(value, dict):
        return {str(k): form(value[k]) for k in sorted(value)}
    return [form(v) for v in value]


def _width(mode, tolerance):
    return 2 * tolerance if mode == "a" else 2 * math.log1p(tolerance)


def grid(value, tolerance, relative=False):
    """The grid centred on each number of value: [mode, start] per number, mode "a"
    (absolute, |x| < 1) or "r" (relative, in logarithms), as close() compares."""
    found = []
    for x in numbers(value):
        mode = "r" if math.isfinite(x) and (abs(x) >= 1 or (relative and x)) else "a"
        at = math.log(abs(x)) if mode == "r" else x if math.isfinite(x) else 0.0
        width = _width(mode, tolerance)
        found.append([mode, (at - width / 2) % width])
    return found


def buckets(value, cells, tolerance):
    """The bucket of each number of value on the grid cells (None if the value has
    another count of numbers)."""
    xs = numbers(value)
    if len(xs) != len(cells):
        return None
    found = []
    for x, (mode, start) in zip(xs, cells):
        if not math.isfinite(x):
            found.append(str(x))
        elif mode == "a":
            found.append(_floor((x - start) / _width("a", tolerance)))
        elif x == 0:
            found.append("0")
        else:
            found.append([1 if x > 0 else -1,
                          _floor((math.log(abs(x)) - start) / _width("r", tolerance))])
    return found


def _floor(q):
    """q rounded down, or "far" for a quotient too large to be a bucket's number."""
    return math.floor(q) if math.isfinite(q) else "far"


def _text(salt, value, cells, tolerance):
    found = buckets(value, cells, tolerance)
    if found is None:
        return None
    return json.dumps([salt, form(value), found], separators=(",", ":")).encode()


def slow_hash(salt, value, cells, tolerance, rounds=ROUNDS):
    """The slow hash of value's buckets (None if it has the wrong count of numbers)."""
    text = _text(salt, value, cells, tolerance)
    if text is None:
        return None
    return hashlib.pbkdf2_hmac("sha256", text, salt.encode(), rounds).hex()[:32]


def fast_hash(salt, value, cells, tolerance):
    text = _text(salt, value, cells, tolerance)
    return None if text is None else hashlib.sha256(text).hexdigest()[:24]


def seal(salt, value, tolerance, relative=False, slow=True, cache=None):
    """The sealed form of value: its grid and its hash (slow, or fast for a mistake).
    cache (a dict, kept with the instructor's sources) saves recomputing slow hashes."""
    cells = grid(value, tolerance, relative)
    if not slow:
        return {"grid": cells, "hash": fast_hash(salt, value, cells, tolerance)}
    key = hashlib.sha256(_text(salt, value, cells, tolerance) + b"%d" % ROUNDS).hexdigest()
    cache = {} if cache is None else cache
    cache[key] = cache.get(key) or slow_hash(salt, value, cells, tolerance, ROUNDS)
    return {"grid": cells, "hash": cache[key], "rounds": ROUNDS}


def matches(value, sealed, salt, tolerance):
    """Whether value falls into the sealed value's buckets (one slow hash if sealed slow)."""
    cells = sealed["grid"]
    if "rounds" in sealed:
        got = slow_hash(salt, value, cells, tolerance, sealed["rounds"])
    else:
        got = fast_hash(salt, value, cells, tolerance)
    return got is not None and got == sealed["hash"]


# --- what it costs to recover a sealed value ----------------------------------------


def attack_position(value, tolerance, relative=False):
    """How many candidates an attacker hashes before reaching value: for each number,
    its place among the nice numbers if one falls in its bucket, else the nice numbers
    and every bucket from 0 out to it (both signs); for several numbers, the product
    (every combination of candidates up to each one's place)."""
    total = 1
    for x, (mode, _) in zip(numbers(value), grid(value, tolerance, relative)):
        total *= _place(x, mode, tolerance)
    return total


def _place(x, mode, tolerance):
    if not math.isfinite(x):
        return 1
    near = _nice_index(x, mode, tolerance)
    if near is not None:
        return near + 1
    absolute = math.ceil(min(abs(x), 1.0) / _width("a", tolerance))  # buckets below 1
    above = (math.ceil(math.log(abs(x)) / _width("r", tolerance)) if mode == "r" and abs(x) > 1
             else 0)
    return len(NICE) + 2 * (absolute + above)


def _nice_index(x, mode, tolerance):
    """The place of the first nice number within x's tolerance (None if none is)."""
    for i, n in enumerate(NICE):
        if mode == "a" and abs(n - x) < tolerance:
            return i
        if mode == "r" and n and (n > 0) == (x > 0) and abs(math.log(abs(n) / abs(x))) < \
                math.log1p(tolerance):
            return i
    return None


def cpu_hours(value, tolerance, relative=False, seconds_per_hash=SECONDS_PER_HASH):
    """The CPU hours an attacker spends to recover value from its sealed form."""
    return attack_position(value, tolerance, relative) * seconds_per_hash / HOUR
