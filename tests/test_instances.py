from graders import instances


def test_public_variant_without_a_student(monkeypatch):
    monkeypatch.delenv(instances.STUDENT_ENV, raising=False)
    assert instances.variant("dc01-power") == "public"
    a = instances.rng("dc01-power", "q2").random(3)
    b = instances.rng("dc01-power", "q2").random(3)
    assert (a == b).all()


def test_students_get_their_own_bounded_variants(monkeypatch):
    names = [f"student{i}" for i in range(500)]
    seen = {instances.variant("dc01-power", s, variants=8) for s in names}
    assert seen == {f"v{i}" for i in range(8)}
    monkeypatch.setenv(instances.STUDENT_ENV, "alice")
    assert instances.variant("dc01-power") == instances.variant("dc01-power", "alice")
    assert instances.seed("dc01-power", "q2") != instances.seed("dc01-power", "q2", student="")


def test_parts_and_assignments_differ():
    s = {instances.seed(a, p, "bob") for a in ("dc01-power", "q01-qubits") for p in ("q1", "q2")}
    assert len(s) == 4
