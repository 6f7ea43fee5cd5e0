import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.status import SubtaskCounts, SubtaskStatus, TaskStatus, advance, derive_task_status

pytestmark = pytest.mark.unit

W, P, S, F = (SubtaskStatus.WAITING, SubtaskStatus.PROCESSING, SubtaskStatus.SUCCESS, SubtaskStatus.FAIL)


@pytest.mark.parametrize(
    "statuses, expected",
    [
        ([W, W], TaskStatus.WAITING),
        ([P, W], TaskStatus.PROCESSING),
        ([S, W], TaskStatus.PROCESSING),  # some done, others still waiting
        ([F, P], TaskStatus.PROCESSING),
        ([S, F], TaskStatus.FINISH),
        ([F, F], TaskStatus.FINISH),
        ([S], TaskStatus.FINISH),
    ],
)
def test_derive_task_status_follows_the_spec(statuses, expected):
    # GIVEN subtasks in these states WHEN the task status is derived THEN it follows the spec's rule
    assert derive_task_status(SubtaskCounts.of(statuses)) == expected


statuses = st.lists(st.sampled_from([W, P, S, F]), min_size=1, max_size=12)


@given(statuses)
def test_finish_iff_every_subtask_is_done(subs):
    finished = derive_task_status(SubtaskCounts.of(subs)) == TaskStatus.FINISH
    assert finished == all(s.done for s in subs)


@given(statuses)
def test_waiting_iff_nothing_started(subs):
    waiting = derive_task_status(SubtaskCounts.of(subs)) == TaskStatus.WAITING
    assert waiting == all(s == W for s in subs)


@given(statuses)
def test_counts_add_up(subs):
    counts = SubtaskCounts.of(subs)
    assert counts.total == len(subs)
    assert counts.success == subs.count(S) and counts.fail == subs.count(F)


@given(st.lists(statuses, min_size=1, max_size=8))
def test_status_never_moves_backwards(histories):
    # GIVEN any sequence of observed subtask states, WHEN each is folded in with advance,
    # THEN the task status is monotone: WAITING -> PROCESSING -> FINISH.
    order = [TaskStatus.WAITING, TaskStatus.PROCESSING, TaskStatus.FINISH]
    current = TaskStatus.WAITING
    for subs in histories:
        nxt = advance(current, derive_task_status(SubtaskCounts.of(subs)))
        assert order.index(nxt) >= order.index(current)
        current = nxt


def test_claimed_task_stays_processing_when_subtasks_still_look_waiting():
    assert advance(TaskStatus.PROCESSING, TaskStatus.WAITING) == TaskStatus.PROCESSING
