//! Replications computed in parallel and folded in their order, without a barrier.
//!
//! Each worker of the pool takes the next replication number, computes it, and leaves the
//! result; whichever worker finds the next result in order folds it (one at a time, so the
//! fold sees the replications in order 0, 1, 2, … on any number of threads). A worker waits
//! only when the replication it would start is `window` or more ahead of the fold, which
//! bounds the results held at once. Batches with a barrier at their end left a core idle
//! while the other finished the batch's last replication.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// What happened to a run of [`fold_in_order`].
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome<E> {
    /// Every replication was computed and folded.
    Done,
    /// `keep_going` said no before every replication was started.
    Stopped,
    /// The first replication, in order, that failed (in `work` or in `fold`); the ones before
    /// it were folded.
    Failed(E),
}

/// The work of one run, shared by the workers.
struct Shared<T, E> {
    state: Mutex<State<T, E>>,
    /// Signalled when the fold moves on or the run ends.
    moved: Condvar,
}

/// Under [`Shared::state`].
struct State<T, E> {
    /// The next replication to start.
    next: u32,
    /// Replications folded (all below this number).
    folded: u32,
    /// Results computed but not yet folded, by replication.
    ready: BTreeMap<u32, Result<T, E>>,
    /// A worker is folding (outside the lock).
    folding: bool,
    /// The run ends: stopped or failed; workers start nothing more.
    over: bool,
    stopped: bool,
    error: Option<E>,
}

/// Ends the run if a worker panics (computing or folding a replication), so that the others,
/// which may wait for its result or its fold, stop instead of waiting for ever (the pool then
/// passes the panic on).
struct EndOnPanic<'a, T, E>(&'a Shared<T, E>);

impl<T, E> Drop for EndOnPanic<'_, T, E> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(&self.0.state).over = true;
            self.0.moved.notify_all();
        }
    }
}

fn lock<X>(m: &Mutex<X>) -> MutexGuard<'_, X> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Compute `work(r)` for r in 0..`total` on every thread of `pool` and `fold` the results in
/// order of r. `keep_going(folded)` is asked before each replication is started (`folded`: the
/// replications folded so far); when it says no, nothing more is started and the run returns
/// [`Outcome::Stopped`] once the workers are done. At most `window` (≥ 1) replications past
/// the last one folded are started.
pub fn fold_in_order<T: Send, E: Send>(
    pool: &rayon::ThreadPool,
    total: u32,
    window: u32,
    work: &(dyn Fn(u32) -> Result<T, E> + Sync),
    fold: &mut (dyn FnMut(T) -> Result<(), E> + Send),
    keep_going: &(dyn Fn(u32) -> bool + Sync),
) -> Outcome<E> {
    let window = window.max(1);
    let shared = Shared {
        state: Mutex::new(State {
            next: 0,
            folded: 0,
            ready: BTreeMap::new(),
            folding: false,
            over: false,
            stopped: false,
            error: None,
        }),
        moved: Condvar::new(),
    };
    // Only the worker that holds `folding` locks this, so it is never contended.
    let fold = Mutex::new(fold);
    pool.broadcast(|_| worker(&shared, total, window, work, &fold, keep_going));
    let state = shared
        .state
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    match (state.error, state.stopped) {
        (Some(e), _) => Outcome::Failed(e),
        (None, true) => Outcome::Stopped,
        (None, false) => Outcome::Done,
    }
}

/// One worker: start the next replication while there is one and the window allows, leave
/// its result, fold what is ready in order if no other worker is folding.
fn worker<T, E>(
    shared: &Shared<T, E>,
    total: u32,
    window: u32,
    work: &(dyn Fn(u32) -> Result<T, E> + Sync),
    fold: &Mutex<&mut (dyn FnMut(T) -> Result<(), E> + Send)>,
    keep_going: &(dyn Fn(u32) -> bool + Sync),
) {
    loop {
        let _ending = EndOnPanic(shared);
        let r = {
            let mut st = lock(&shared.state);
            loop {
                if st.over || st.next >= total {
                    return;
                }
                if st.next < st.folded.saturating_add(window) {
                    break;
                }
                st = shared
                    .moved
                    .wait(st)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if !keep_going(st.folded) {
                st.over = true;
                st.stopped = true;
                shared.moved.notify_all();
                return;
            }
            st.next += 1;
            st.next - 1
        };
        let result = work(r);
        let mut st = lock(&shared.state);
        st.ready.insert(r, result);
        if st.folding {
            // The worker folding finds it when it gets there.
            continue;
        }
        st.folding = true;
        loop {
            let at = st.folded;
            let Some(next) = st.ready.remove(&at) else {
                break;
            };
            drop(st);
            let folded = next.and_then(|t| {
                let mut f = lock(fold);
                (*f)(t)
            });
            st = lock(&shared.state);
            match folded {
                Ok(()) => st.folded += 1,
                Err(e) => {
                    st.error = Some(e);
                    st.over = true;
                    st.ready.clear();
                    break;
                }
            }
            shared.moved.notify_all();
        }
        st.folding = false;
        shared.moved.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(threads: usize) -> rayon::ThreadPool {
        match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(p) => p,
            Err(e) => panic!("no pool: {e}"),
        }
    }

    /// Work whose time varies with the replication, so results arrive out of order.
    fn uneven(r: u32) -> Result<u64, String> {
        let spins = (r.wrapping_mul(2_654_435_761) >> 20) % 20_000;
        let mut x = r as u64;
        for _ in 0..spins {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
        }
        std::hint::black_box(x);
        Ok(r as u64)
    }

    #[test]
    fn every_replication_is_folded_once_in_order_on_any_number_of_threads() {
        for threads in [1, 2, 3, 8] {
            for window in [1, 2, 5, 64] {
                let mut seen = Vec::new();
                let out = fold_in_order(
                    &pool(threads),
                    200,
                    window,
                    &uneven,
                    &mut |x| {
                        seen.push(x);
                        Ok(())
                    },
                    &|_| true,
                );
                assert_eq!(out, Outcome::Done, "threads {threads} window {window}");
                assert_eq!(seen, (0..200).collect::<Vec<u64>>(), "threads {threads}");
            }
        }
    }

    #[test]
    fn no_replication_starts_a_window_or_more_past_the_fold() {
        use std::sync::atomic::{AtomicU32, Ordering};
        let folded = AtomicU32::new(0);
        let worst = AtomicU32::new(0);
        let window = 3;
        let work = |r: u32| -> Result<u32, String> {
            let ahead = r - folded.load(Ordering::SeqCst);
            worst.fetch_max(ahead, Ordering::SeqCst);
            uneven(r).map(|_| r)
        };
        let out = fold_in_order(
            &pool(4),
            300,
            window,
            &work,
            &mut |_| {
                folded.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
            &|_| true,
        );
        assert_eq!(out, Outcome::Done);
        assert!(worst.load(Ordering::SeqCst) < window);
        assert_eq!(folded.load(Ordering::SeqCst), 300);
    }

    #[test]
    fn the_first_failure_in_order_is_reported_and_nothing_after_it_is_folded() {
        for threads in [1, 2, 4] {
            let mut seen = Vec::new();
            let work = |r: u32| match r {
                // The later failure is quicker, so it is often computed first.
                40 | 90 => Err(format!("replication {r}")),
                _ => uneven(r),
            };
            let out = fold_in_order(
                &pool(threads),
                200,
                64,
                &work,
                &mut |x| {
                    seen.push(x);
                    Ok(())
                },
                &|_| true,
            );
            assert_eq!(out, Outcome::Failed("replication 40".to_string()));
            assert_eq!(seen, (0..40).collect::<Vec<u64>>());
        }
    }

    #[test]
    fn a_failing_fold_stops_the_run() {
        let mut seen = Vec::new();
        let out = fold_in_order(
            &pool(2),
            100,
            4,
            &uneven,
            &mut |x| match x {
                17 => Err("fold 17".to_string()),
                _ => {
                    seen.push(x);
                    Ok(())
                }
            },
            &|_| true,
        );
        assert_eq!(out, Outcome::Failed("fold 17".to_string()));
        assert_eq!(seen, (0..17).collect::<Vec<u64>>());
    }

    #[test]
    fn keep_going_stops_the_run_and_sees_the_folds_progress() {
        use std::sync::atomic::{AtomicU32, Ordering};
        let asked_max = AtomicU32::new(0);
        let mut seen = 0u32;
        let out = fold_in_order(
            &pool(2),
            1000,
            4,
            &uneven,
            &mut |_| {
                seen += 1;
                Ok(())
            },
            &|folded| {
                asked_max.fetch_max(folded, Ordering::SeqCst);
                folded < 50
            },
        );
        assert_eq!(out, Outcome::Stopped);
        // Stopped once 50 were folded: what was started by then (at most a window more) is
        // folded, nothing else.
        assert!((50..50 + 4 + 2).contains(&seen), "folded {seen}");
        assert!(asked_max.load(Ordering::SeqCst) >= 50);
    }

    #[test]
    fn a_panicking_replication_is_passed_on_and_does_not_hang_the_others() {
        let caught = std::panic::catch_unwind(|| {
            fold_in_order(
                &pool(2),
                100,
                4,
                &|r| match r {
                    7 => panic!("replication 7 panicked"),
                    _ => uneven(r),
                },
                &mut |_| Ok(()),
                &|_| true,
            )
        });
        assert!(caught.is_err());
    }

    #[test]
    fn a_panicking_fold_is_passed_on_and_does_not_hang_the_others() {
        let caught = std::panic::catch_unwind(|| {
            let mut folds = 0;
            fold_in_order(
                &pool(2),
                100,
                4,
                &uneven,
                &mut |_| {
                    folds += 1;
                    match folds {
                        9 => panic!("the ninth fold panicked"),
                        _ => Ok::<(), String>(()),
                    }
                },
                &|_| true,
            )
        });
        assert!(caught.is_err());
    }

    #[test]
    fn nothing_to_do_is_done() {
        let out = fold_in_order(
            &pool(2),
            0,
            4,
            &uneven,
            &mut |_| panic!("nothing to fold"),
            &|_| true,
        );
        assert_eq!(out, Outcome::Done);
    }
}
