"""The checks before any report runs: each conflict's data valid, every entry's parameters right.

A conflict's facts (its sides and its claimants' sides) come from `analysis.dataset.load_conflict`,
which validates the data; they are kept in the build's state with the data and code fingerprints
they were found with, so a build whose data and code did not change imports neither pandera nor
polars to check them again. The entries' parameters are checked against those facts
(`catalog.check_entries`). Every problem is returned at once; the build runs nothing if there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analysis.parameters import ConflictFacts
from analysis.project import conflict_dirs
from analysis.report import fingerprint as fp
from analysis.report.catalog import Catalog, check_entries
from analysis.report.console import Say, display_path
from analysis.report.keys import conflict_of


@dataclass
class Checked:
    problems: list[str]  # data problems first, then the catalog's
    parameters: dict[str, dict]  # slug -> the parameters the notebook gets
    facts: dict[str, ConflictFacts]  # every conflict a report reads (the index shows its data date)


def check_reports(
    catalog: Catalog, state: dict, fingerprints: dict, *, save_state: Callable[[], None], say: Say
) -> Checked:
    """Check the data of every conflict a report reads and every entry's parameters.

    `state` is the build's (state.py), whose "facts" this updates, then calls `save_state`."""
    conflicts = [d.name for d in conflict_dirs(catalog.data_dir)]
    facts: dict[str, ConflictFacts] = {}
    data_problems: list[str] = []

    def facts_for(conflict: str) -> ConflictFacts:
        if conflict not in facts:
            facts[conflict] = conflict_facts(catalog, conflict, state, fingerprints, data_problems, save_state, say)
        return facts[conflict]

    problems, parameters = check_entries(catalog, conflicts, facts_for)
    for entry in catalog.entries:  # the index names each report's conflict and its data date
        conflict = conflict_of(entry)
        if conflict in conflicts:
            facts_for(conflict)
    return Checked(data_problems + problems, parameters, facts)


def conflict_facts(
    catalog: Catalog,
    conflict: str,
    state: dict,
    fingerprints: dict,
    problems: list[str],
    save_state: Callable[[], None],
    say: Say,
) -> ConflictFacts:
    """A validated conflict's sides and claimants, from the state when data and code are unchanged;
    an invalid conflict adds its problems to `problems` and has no facts."""
    data = fingerprints["data"].get(conflict) or fp.data_fingerprint(catalog.data_dir / conflict)
    cached = state["facts"].get(conflict)
    if cached and cached.get("data") == data and cached.get("code") == fingerprints["code"]:
        return ConflictFacts.from_json(cached["facts"])
    from analysis import params
    from analysis.dataset import load_conflict
    from analysis.errors import DataValidationError

    try:
        loaded = load_conflict(conflict, catalog.data_dir)
    except DataValidationError as exc:
        problems.extend(str(p) for p in sorted(exc.problems))
        problems.append(f"{display_path(catalog.data_dir / conflict)}: data invalid; run `claims validate`")
        return ConflictFacts(conflict, (), {})
    facts = params.conflict_facts(loaded)
    state["facts"][conflict] = {"data": data, "code": fingerprints["code"], "facts": facts.to_json()}
    save_state()
    say(f"data: {conflict} valid (fingerprint {fp.short(data)})")
    return facts
