"""Domain rules of key-post rotation: policies, tenure, exemptions, proposals, plans and their
execution. Plain functions over a session; they flush and never commit. Split by concern;
everything public is re-exported here."""

from __future__ import annotations

from .common import (  # noqa: F401
    APPROVER_ROLES,
    RulesBroken,
    add_months,
    months_between,
)
from .jobs import (  # noqa: F401
    execute_due_moves,
    send_due_alerts,
)
from .plans import (  # noqa: F401
    MoveSpec,
    _check_decider,
    approve_plan,
    create_reversal_plan,
    plan_specs,
    plan_violations,
    return_plan,
    submit_plan,
    update_plan_moves,
    validate_moves,
)
from .policies import (  # noqa: F401
    Policy,
    _qualification_state,
    active_exemptions,
    add_check_pair,
    approver_candidates,
    check_pairs,
    completed_courses,
    create_exemption,
    default_policy,
    policies,
    qualifications,
    remove_check_pair,
    revoke_exemption,
    update_policy,
)
from .proposals import (  # noqa: F401
    OPEN_PLAN_STATUSES,
    Context,
    Proposal,
    _move_reason,
    _move_state,
    _seat_of,
    build_instance,
    create_plan_from_proposal,
    people_in_open_plans,
    propose,
)
from .tenure import (  # noqa: F401
    History,
    SeatOption,
    TenureRow,
    histories,
    key_assignments,
    seat_lookup,
    seat_options,
    tenure_board,
)
