//! What keeps a memory of the database from keeping a read that raced with a forgetting.
//!
//! The session memories (the session store's kept records, the session keys found live)
//! read the database on a miss and keep what they read. An announcement that the row changed
//! (a session ended, a record rewritten) makes them forget it; but one that arrives while a
//! read is on its way back finds nothing to forget, and keeping that read afterwards would
//! serve what the announcement replaced for the memory's whole lifetime. So every forgetting
//! moves a counter, a read takes the counter's value before it starts (a [`Ticket`]), and
//! what it read is kept only if the counter has not moved since.
//!
//! Counters are striped: a forgetting stops only the reads of its own stripe from being
//! kept, so the cluster's changes to other sessions rarely cost a read its keeping.
//!
//! Ordering: a forgetting moves the counter, then removes the entry; a keep inserts the
//! entry, then looks at the counter again. Each side writes one place and then reads the
//! other's, so both could miss the other's write under acquire/release alone (the memory
//! holds its entries with acquire/release). A sequentially consistent fence on each side,
//! between its write and its read, rules that out: at least one of them sees the other.

use std::sync::atomic::{AtomicU64, Ordering, fence};

/// One counter per stripe of keys; see the module's documentation.
#[derive(Debug)]
pub struct Forgettings<const STRIPES: usize> {
    moves: [AtomicU64; STRIPES],
}

/// Taken before a read of the database; see [`Forgettings::keep_unless_moved`].
#[derive(Clone, Copy, Debug)]
pub struct Ticket {
    stripe: usize,
    moves: u64,
}

impl<const STRIPES: usize> Default for Forgettings<STRIPES> {
    fn default() -> Self {
        Self {
            moves: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl<const STRIPES: usize> Forgettings<STRIPES> {
    /// Taken before reading a key of this stripe (any number; reduced to the stripes).
    pub fn ticket(&self, stripe: usize) -> Ticket {
        let stripe = stripe % STRIPES;
        Ticket {
            stripe,
            moves: self.moves[stripe].load(Ordering::Acquire),
        }
    }

    /// A key of this stripe is forgotten or rewritten: reads that began before are not kept.
    /// Call it before removing or replacing the entry.
    pub fn moved(&self, stripe: usize) {
        self.moves[stripe % STRIPES].fetch_add(1, Ordering::AcqRel);
        fence(Ordering::SeqCst);
    }

    /// Every key is forgotten (announcements may have been missed). Call it before removing
    /// the entries.
    pub fn moved_all(&self) {
        for moves in &self.moves {
            moves.fetch_add(1, Ordering::AcqRel);
        }
        fence(Ordering::SeqCst);
    }

    /// Keeps a read (`keep`) unless its stripe moved since its ticket. Checked after keeping
    /// too, undoing it (`undo`) if so: a forgetting between the check and the keep would
    /// otherwise find nothing to forget and leave the read kept.
    pub fn keep_unless_moved(&self, ticket: Ticket, keep: impl FnOnce(), undo: impl FnOnce()) {
        let moves = &self.moves[ticket.stripe];
        if moves.load(Ordering::Acquire) == ticket.moves {
            keep();
            fence(Ordering::SeqCst);
            if moves.load(Ordering::Acquire) != ticket.moves {
                undo();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn kept_after(forgettings: &Forgettings<4>, ticket: Ticket) -> bool {
        let kept = Cell::new(false);
        forgettings.keep_unless_moved(ticket, || kept.set(true), || kept.set(false));
        kept.get()
    }

    #[test]
    fn a_read_is_kept_unless_its_stripe_moved_since_its_ticket() {
        let forgettings = Forgettings::<4>::default();
        assert!(kept_after(&forgettings, forgettings.ticket(1)));

        let ticket = forgettings.ticket(1);
        forgettings.moved(1);
        assert!(!kept_after(&forgettings, ticket));

        // Another stripe's move does not cost this read its keeping (5 is stripe 1 of 4).
        let ticket = forgettings.ticket(5);
        forgettings.moved(2);
        assert!(kept_after(&forgettings, ticket));

        let ticket = forgettings.ticket(3);
        forgettings.moved_all();
        assert!(!kept_after(&forgettings, ticket));
    }

    #[test]
    fn a_move_while_keeping_undoes_the_keep() {
        let forgettings = Forgettings::<1>::default();
        let ticket = forgettings.ticket(0);
        let kept = Cell::new(false);
        forgettings.keep_unless_moved(
            ticket,
            || {
                kept.set(true);
                // A forgetting lands between the check and the keep.
                forgettings.moved(0);
            },
            || kept.set(false),
        );
        assert!(!kept.get());
    }
}
