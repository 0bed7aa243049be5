"""Exercise: implicit differentiation (notebook 14): the derivative of a fixed point by the
implicit function theorem, its Jacobian and its vector-Jacobian product, and the
gradient of an equilibrium layer's loss, each without unrolling the solver.

A fixed point z* = F(z*, θ) has the derivative dz*/dθ = (I - ∂F/∂z)⁻¹ ∂F/∂θ, the partials
taken at (z*, θ). Every known mistake below (a sign in I - ∂F/∂z, a missing or a
misplaced transpose, the partials taken at the start instead of the answer, the feedback
through z forgotten, the loss's direct dependence on the parameter forgotten) gives an
answer the grader can compare, so it earns its own hint. The questions rule out
differentiating the solver's loop (ad.grad, Tensor.backward, ad.derivative, ad.jvp, dual
numbers): the answer is the theorem's formula.
"""

import numpy as np

import adlearn as ad
from adlearn.grading.questions import Exercise, Question, Wrong

NOTEBOOK = "14_beyond_backprop.ipynb"
THEOREM = f"{NOTEBOOK}#The implicit function theorem"
RULE = "not ad.grad, ad.jvp, ad.hessian, ad.Dual"  # no differentiating through the loop


# --- question 1: a fixed point of one number ---------------------------------------------


def fixed_point(F, theta, z=0.0):
    """z* = F(z*, θ), by iterating from z until the step is below 1e-14."""
    for _ in range(10_000):
        z_next = F(z, theta)
        if abs(z_next - z) < 1e-14:
            return z_next
        z = z_next
    return z


def implicit_derivative(F, F_z, F_theta, theta):
    """The reference: dz*/dθ = ∂F/∂θ / (1 - ∂F/∂z) at the fixed point."""
    z = fixed_point(F, theta)
    return F_theta(z, theta) / (1 - F_z(z, theta))


def _scalar_mistake(formula, at_start=False):
    """A known mistake of question 1: formula(F_z, F_θ) at the fixed point (or at 0)."""
    def answer(F, F_z, F_theta, theta):
        z = 0.0 if at_start else fixed_point(F, theta)
        return formula(F_z(z, theta), F_theta(z, theta))
    return answer


def fixed_point_family(kind, a, b=0.0):
    """(F, ∂F/∂z, ∂F/∂θ) as expressions of z and θ, for a fixed point of one number; each
    is a contraction (|∂F/∂z| ≤ 0.7) for the a, b and θ the cases use. a and b are
    rounded to 4 digits first, so that the three formulas hold the same numbers."""
    a, b = float(f"{a:.4g}"), float(f"{b:.4g}")
    if kind == "tanh":
        inner = f"tanh({a:g}*z + theta)"
        texts = (inner, f"{a:g}*(1 - {inner}**2)", f"1 - {inner}**2")
    elif kind == "sin":
        texts = (f"{a:g}*sin(z*theta) + {b:g}", f"{a:g}*cos(z*theta)*theta",
                 f"{a:g}*cos(z*theta)*z")
    else:  # a sigmoid whose parameter enters twice as strongly
        inner = f"sigmoid(z + 2*theta)"
        texts = (f"{a:g}*{inner}", f"{a:g}*{inner}*(1 - {inner})",
                 f"{2 * a:g}*{inner}*(1 - {inner})")
    return tuple(ad.parse(t) for t in texts)


def _random_scalar(rng):
    kind = rng.choice(["tanh", "sin", "sigmoid"])
    if kind == "tanh":
        family = fixed_point_family(kind, rng.choice([-1, 1]) * rng.uniform(0.2, 0.7))
        theta = rng.uniform(-1.5, 1.5)
    elif kind == "sin":
        family = fixed_point_family(kind, rng.uniform(0.2, 0.45), rng.uniform(0.3, 1.0))
        theta = rng.uniform(0.5, 1.5)
    else:
        family = fixed_point_family(kind, rng.uniform(1.0, 2.8))
        theta = rng.uniform(-1.0, 1.0)
    return (*family, theta)


def _show_scalar(args):
    F, _, _, theta = args
    return f"implicit_derivative(F: z = {F.text}, theta={theta:.4g})"


# --- questions 2 and 3: a fixed point of a vector ----------------------------------------


def implicit_jacobian(F_z, F_theta):
    """The reference: dz*/dθ = (I - ∂F/∂z)⁻¹ ∂F/∂θ, an n × p matrix."""
    return np.linalg.solve(np.eye(len(F_z)) - F_z, F_theta)


def implicit_vjp(F_z, F_theta, z_bar):
    """The reference: θ̄ = ∂F/∂θᵀ u with (I - ∂F/∂z)ᵀ u = z̄."""
    u = np.linalg.solve((np.eye(len(F_z)) - F_z).T, z_bar)
    return F_theta.T @ u


def _contraction(rng, n, norm):
    """A random n × n matrix with largest singular value ``norm``."""
    M = rng.normal(size=(n, n))
    return M * (norm / np.linalg.norm(M, 2))


def _random_partials(rng):
    n = int(rng.integers(2, 5))
    p = int(rng.choice([k for k in range(1, 5) if k != n]))
    return _contraction(rng, n, rng.uniform(0.2, 0.8)), rng.normal(size=(n, p))


def _random_vjp(rng):
    F_z, F_theta = _random_partials(rng)
    return F_z, F_theta, rng.normal(size=len(F_z))


def _numpy_rng(rng):
    """A NumPy generator seeded from the grader's random.Random (fresh cases each time)."""
    return np.random.default_rng(rng.getrandbits(64))


def _shapes(arrays):
    return ", ".join("×".join(map(str, a.shape)) for a in arrays)


# --- question 4: an equilibrium layer ----------------------------------------------------


def _equilibrium(W, b):
    """z* = σ(W z* + b), by iterating from 0 (σ' ≤ 1/4 and ‖W‖ ≤ 2: a contraction)."""
    z = np.zeros(len(b))
    for _ in range(10_000):
        z_next = 1 / (1 + np.exp(-(W @ z + b)))
        if np.abs(z_next - z).max() < 1e-15:
            return z_next
        z = z_next
    return z


def _b_gradient(W, b, derivative=lambda z: z * (1 - z), transpose=True, sign=-1,
                left=True, direct=True):
    """∇_b of ½‖z*‖² + ½‖b‖², with switches for the known mistakes."""
    z = _equilibrium(W, b)
    s = derivative(z)
    J = s[:, None] * W if left else W * s[None, :]  # ∂F/∂z = diag(s) W
    M = np.eye(len(b)) + sign * J
    u = np.linalg.solve(M.T if transpose else M, z)
    return s * u + (b if direct else 0.0)


def equilibrium_gradient(W, b):
    """The reference: ∇_b L for L = ½‖z*‖² + ½‖b‖², z* = σ(W z* + b)."""
    return _b_gradient(W, b)


def _random_layer(rng):
    n = int(rng.integers(2, 6))
    return _contraction(rng, n, rng.uniform(0.5, 2.0)), rng.normal(size=n)


def _show_layer(args):
    W, b = args
    return f"equilibrium_gradient(W of shape {_shapes([W])}, b of shape {_shapes([b])})"


_RNG = np.random.default_rng(14)  # the fixed cases' arrays
_FZ3, _FZ2 = _contraction(_RNG, 3, 0.6), _contraction(_RNG, 2, 0.5)
_FT32, _FT21 = _RNG.normal(size=(3, 2)), _RNG.normal(size=(2, 1))
_W3, _W4 = _contraction(_RNG, 3, 1.5), _contraction(_RNG, 4, 1.8)
_B3, _B4 = _RNG.normal(size=3), _RNG.normal(size=4)

EXERCISE = Exercise("implicit", "Implicit differentiation", (
    Question(
        "implicit_derivative", 3, "function", answer="implicit_derivative",
        reference=implicit_derivative, rule=RULE, tutorial=THEOREM, tolerance=1e-8,
        prompt="the derivative of a fixed point of one number by the implicit function "
               "theorem",
        cases=((*fixed_point_family("tanh", 0.5), 0.3),
               (*fixed_point_family("sin", 0.4, 0.5), 1.2),
               (*fixed_point_family("sigmoid", 2.0), -0.4)),
        hidden=((*fixed_point_family("tanh", -0.6), -1.1),),
        random_case=_random_scalar, show=_show_scalar,
        hint="Find the fixed point first; then the theorem, with both partials taken there "
             "(notebook 14, section 2, The implicit function theorem).",
        wrong=(
            Wrong(_scalar_mistake(lambda F_z, F_theta: F_theta / (1 + F_z)),
                  "A sign: differentiating z* = F(z*, θ) gives dz* = ∂F/∂z dz* + ∂F/∂θ dθ, "
                  "so the factor is 1 / (1 - ∂F/∂z), with a minus."),
            Wrong(_scalar_mistake(lambda F_z, F_theta: F_theta / (F_z - 1)),
                  "Your answer has the opposite sign: move ∂F/∂z dz* to the left-hand side "
                  "again, (1 - ∂F/∂z) dz* = ∂F/∂θ dθ."),
            Wrong(_scalar_mistake(lambda F_z, F_theta: F_theta),
                  "That is ∂F/∂θ alone, as if z* did not change with θ: z* feeds back into "
                  "F, and 1 / (1 - ∂F/∂z) adds up that feedback."),
            Wrong(_scalar_mistake(lambda F_z, F_theta: F_theta * (1 - F_z)),
                  "You multiplied by 1 - ∂F/∂z: solving (1 - ∂F/∂z) dz*/dθ = ∂F/∂θ divides "
                  "by it."),
            Wrong(_scalar_mistake(lambda F_z, F_theta: F_theta / (1 - F_z), at_start=True),
                  "You took the partials at the start z = 0: the theorem holds at the fixed "
                  "point, so iterate to z* first and take them there."),
        )),
    Question(
        "implicit_jacobian", 2, "function", answer="implicit_jacobian",
        reference=implicit_jacobian, rule=RULE, tutorial=THEOREM,
        prompt="the Jacobian dz*/dθ of a fixed point of a vector, from the partial Jacobians",
        cases=((_FZ3, _FT32), (_FZ2, _FT21), (np.zeros((2, 2)), _FT21)),
        hidden=((_FZ3.T, _FT32[:, :1]),),
        random_case=lambda rng: _random_partials(_numpy_rng(rng)),
        show=lambda args: f"implicit_jacobian(F_z of shape {_shapes(args[:1])}, "
                          f"F_theta of shape {_shapes(args[1:])})",
        hint="One linear solve with I - ∂F/∂z, for all the columns of ∂F/∂θ at once "
             "(notebook 14, section 2, The implicit function theorem).",
        wrong=(
            Wrong(lambda F_z, F_theta: np.linalg.solve(np.eye(len(F_z)) + F_z, F_theta),
                  "A sign: the matrix to solve with is I - ∂F/∂z, not I + ∂F/∂z."),
            Wrong(lambda F_z, F_theta: np.linalg.solve(F_z - np.eye(len(F_z)), F_theta),
                  "Your answer has the opposite sign: the matrix is I - ∂F/∂z, not "
                  "∂F/∂z - I."),
            Wrong(lambda F_z, F_theta: np.linalg.solve((np.eye(len(F_z)) - F_z).T, F_theta),
                  "A transpose that does not belong: the Jacobian solves with I - ∂F/∂z "
                  "itself; its transpose is for the VJP."),
            Wrong(lambda F_z, F_theta: (np.eye(len(F_z)) - F_z) @ F_theta,
                  "You multiplied by I - ∂F/∂z: the theorem solves with it (its inverse), "
                  "np.linalg.solve."),
            Wrong(lambda F_z, F_theta: F_theta,
                  "That is ∂F/∂θ alone, as if z* did not change with θ: the feedback through "
                  "z* is the solve with I - ∂F/∂z."),
        )),
    Question(
        "implicit_vjp", 2, "function", answer="implicit_vjp", reference=implicit_vjp,
        rule=RULE, tutorial=THEOREM,
        prompt="the vector-Jacobian product θ̄ of a fixed point, by one solve with the "
               "transpose",
        cases=((_FZ3, _FT32, np.array([1.0, -2.0, 0.5])), (_FZ2, _FT21, np.array([0.3, 1.0])),
               (_FZ3, np.eye(3), np.array([0.0, 1.0, 0.0]))),
        hidden=((_FZ3.T, _FT32, np.ones(3)),),
        random_case=lambda rng: _random_vjp(_numpy_rng(rng)),
        show=lambda args: f"implicit_vjp(F_z of shape {_shapes(args[:1])}, F_theta of shape "
                          f"{_shapes(args[1:2])}, z_bar of shape {_shapes(args[2:])})",
        hint="Group z̄ᵀ (I - ∂F/∂z)⁻¹ ∂F/∂θ from the left: one solve for u, then one "
             "product (notebook 14, section 2, The implicit function theorem).",
        wrong=(
            Wrong(lambda F_z, F_theta, z_bar:
                  F_theta.T @ np.linalg.solve(np.eye(len(F_z)) - F_z, z_bar),
                  "A transpose is missing: u solves (I - ∂F/∂z)ᵀ u = z̄, the transpose, "
                  "because the row vector z̄ᵀ multiplies from the left."),
            Wrong(lambda F_z, F_theta, z_bar:
                  F_theta.T @ np.linalg.solve((np.eye(len(F_z)) + F_z).T, z_bar),
                  "A sign: the matrix is (I - ∂F/∂z)ᵀ, not (I + ∂F/∂z)ᵀ."),
            Wrong(lambda F_z, F_theta, z_bar:
                  np.linalg.solve((np.eye(len(F_z)) - F_z).T, z_bar),
                  "That is u, the adjoint of z* through the feedback: θ̄ is u times ∂F/∂θ, "
                  "∂F/∂θᵀ u."),
            Wrong(lambda F_z, F_theta, z_bar: F_theta.T @ z_bar,
                  "That is z̄ᵀ ∂F/∂θ alone, one step of the solver: the solve with "
                  "(I - ∂F/∂z)ᵀ adds up the feedback of every step."),
        )),
    Question(
        "equilibrium_gradient", 3, "function", answer="equilibrium_gradient",
        reference=equilibrium_gradient, rule=RULE, tolerance=1e-8,
        tutorial=f"{NOTEBOOK}#The fixed point, differentiated implicitly",
        prompt="the gradient of an equilibrium layer's loss with respect to its bias, "
               "implicitly",
        cases=((_W3, _B3), (_W4, _B4), (np.zeros((3, 3)), _B3)),
        hidden=((_W4.T, -_B4),),
        random_case=lambda rng: _random_layer(_numpy_rng(rng)), show=_show_layer,
        hint="Solve the layer, then the theorem's VJP with ∂F/∂z = diag(σ') W, then add "
             "what L gets from b directly (notebook 14, section 4, The fixed point, "
             "differentiated implicitly).",
        wrong=(
            Wrong(lambda W, b: _b_gradient(W, b, direct=False),
                  "You forgot that L depends on b directly too: ½‖b‖² adds b to the "
                  "gradient that comes through z*."),
            Wrong(lambda W, b: _b_gradient(W, b, transpose=False),
                  "A transpose is missing: the VJP solves (I - diag(σ') W)ᵀ u = z̄."),
            Wrong(lambda W, b: _b_gradient(W, b, derivative=lambda z: 1 - z ** 2),
                  "1 - z² is tanh's derivative: the sigmoid's, at its output z, is z (1 - z)."),
            Wrong(lambda W, b: _b_gradient(W, b, sign=1),
                  "A sign: the matrix is I - ∂F/∂z, not I + ∂F/∂z."),
            Wrong(lambda W, b: _b_gradient(W, b, left=False),
                  "The diagonal is on the wrong side: F = σ(W z + b) takes σ' after the "
                  "product, so ∂F/∂z = diag(σ') W, each row of W times its unit's σ'."),
        )),
    Question("explain_implicit", 2, "text",
             prompt="when the unrolled gradient and the implicit one differ, and what each "
                    "costs in memory",
             tutorial=f"{NOTEBOOK}#The fixed point, differentiated implicitly"),
))
