//! Where this node is in the event log. Event ids are allocated when an event is written, not
//! when its transaction commits, so on PostgreSQL a transaction can commit a lower id after
//! another's higher one has been read: reading "after the highest id seen" alone would skip it
//! for good. The cursor keeps a horizon (every id at or below it applied, or given up) and the
//! ids above it already applied; what lands late in a hole is applied when it lands, and a hole
//! that stays empty (a rolled-back transaction's id) is given up after [`HOLE_PATIENCE`].

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// How long an id missing below a read one is waited for: far longer than the moment between
/// an event's insert and its transaction's commit.
pub(crate) const HOLE_PATIENCE: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub(crate) struct EventCursor {
    /// Every id at or below it is applied or given up.
    horizon: i64,
    /// The highest id applied.
    newest: i64,
    /// Ids above the horizon already applied.
    applied: BTreeSet<i64>,
    /// Since when the id after the horizon has been missing.
    hole_since: Option<Instant>,
}

impl EventCursor {
    /// A cursor that starts after `id`.
    pub(crate) fn starting_after(id: i64) -> Self {
        Self {
            horizon: id,
            newest: id,
            ..Self::default()
        }
    }

    pub(crate) fn horizon(&self) -> i64 {
        self.horizon
    }

    pub(crate) fn newest(&self) -> i64 {
        self.newest
    }

    /// Whether some id between the horizon and the newest is missing.
    pub(crate) fn has_holes(&self) -> bool {
        self.horizon < self.newest
    }

    /// Takes `id` as read: true when it was not applied yet (apply it).
    pub(crate) fn take(&mut self, id: i64) -> bool {
        if id <= self.horizon || !self.applied.insert(id) {
            return false;
        }
        self.newest = self.newest.max(id);
        true
    }

    /// Takes back `ids` whose application failed, so that they are read again.
    pub(crate) fn untake(&mut self, ids: &[i64]) {
        for id in ids {
            self.applied.remove(id);
        }
        self.newest = self.applied.last().copied().unwrap_or(self.horizon);
    }

    /// Moves the horizon over the ids applied in a row, and over holes older than
    /// [`HOLE_PATIENCE`] at `now`.
    pub(crate) fn settle(&mut self, now: Instant) {
        self.advance();
        if !self.has_holes() {
            self.hole_since = None;
            return;
        }
        match self.hole_since {
            None => self.hole_since = Some(now),
            Some(since) if now.duration_since(since) >= HOLE_PATIENCE => {
                // Every id below the lowest applied one was missing when the hole was noticed.
                if let Some(&lowest) = self.applied.first() {
                    self.horizon = lowest - 1;
                }
                self.advance();
                self.hole_since = self.has_holes().then_some(now);
            }
            Some(_) => {}
        }
    }

    fn advance(&mut self) {
        while self.applied.first() == Some(&(self.horizon + 1)) {
            self.applied.pop_first();
            self.horizon += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_a_row_move_the_horizon() {
        let mut cursor = EventCursor::starting_after(10);
        assert!(cursor.take(11) && cursor.take(12));
        assert!(!cursor.take(12), "an id is applied once");
        cursor.settle(Instant::now());
        assert_eq!((cursor.horizon(), cursor.newest()), (12, 12));
        assert!(!cursor.has_holes());
    }

    #[test]
    fn an_id_committed_late_is_applied_when_it_lands() {
        let now = Instant::now();
        let mut cursor = EventCursor::starting_after(10);
        assert!(cursor.take(12));
        cursor.settle(now);
        assert_eq!(cursor.horizon(), 10, "11 may still commit");
        assert!(cursor.has_holes());
        assert!(cursor.take(11), "the late one is new");
        assert!(!cursor.take(12));
        cursor.settle(now + Duration::from_millis(1));
        assert_eq!(cursor.horizon(), 12);
        assert!(!cursor.has_holes());
    }

    #[test]
    fn ids_taken_back_are_read_again() {
        let mut cursor = EventCursor::starting_after(10);
        cursor.take(11);
        cursor.take(12);
        cursor.untake(&[11, 12]);
        assert_eq!(cursor.newest(), 10);
        assert!(cursor.take(11));
    }

    #[test]
    fn a_hole_that_stays_empty_is_given_up_after_the_patience() {
        let now = Instant::now();
        let mut cursor = EventCursor::starting_after(10);
        cursor.take(13);
        cursor.settle(now);
        cursor.settle(now + HOLE_PATIENCE / 2);
        assert_eq!(cursor.horizon(), 10);
        // A new hole opened later is not given up with the old one.
        cursor.take(16);
        cursor.settle(now + HOLE_PATIENCE);
        assert_eq!(
            cursor.horizon(),
            13,
            "11 and 12 given up, 14 and 15 still awaited"
        );
        assert!(cursor.take(15));
        cursor.settle(now + HOLE_PATIENCE * 2);
        assert_eq!(cursor.horizon(), 16);
        assert!(!cursor.take(12), "given up means below the horizon");
    }
}
