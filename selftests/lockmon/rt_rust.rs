// SPDX-License-Identifier: GPL-2.0
//! runtimes_test's Rust workload: the main thread and one spawned thread
//! take two std::sync::Mutex in opposite orders (ABBA), the first time
//! either is contended. Both print "tid=N" (from /proc/thread-self) once
//! they hold their first mutex; a Barrier then lets both go for the second.
//! The process has just these two threads, so when both block it is
//! blocked as a whole. Runs until killed.

use std::sync::{Arc, Barrier, Mutex};
use std::thread;

fn my_tid() -> String {
    let link = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
    let s = link.to_string_lossy().into_owned();
    s.rsplit('/').next().unwrap_or("0").to_string()
}

#[inline(never)]
fn take_in_order(first: &Mutex<u64>, second: &Mutex<u64>, both: &Barrier) {
    let mut a = first.lock().unwrap();
    println!("tid={}", my_tid());
    both.wait();
    let mut b = second.lock().unwrap();
    *a += 1;
    *b += 1;
}

fn main() {
    let x = Arc::new(Mutex::new(0u64));
    let y = Arc::new(Mutex::new(0u64));
    let both = Arc::new(Barrier::new(2));
    let (x2, y2, both2) = (Arc::clone(&x), Arc::clone(&y), Arc::clone(&both));
    let t = thread::spawn(move || take_in_order(&y2, &x2, &both2));
    take_in_order(&x, &y, &both);
    t.join().unwrap();
}
