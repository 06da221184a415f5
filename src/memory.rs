//! What jetfeed asks of the allocator so that its memory follows what it
//! holds. A trip through a long stream reads chunk after chunk of history;
//! without this, glibc's allocator keeps the pages of the largest chunks
//! ever read (their buffers come from its heap once the first is freed) and
//! the resident memory grows with the trip, not with the feed.

/// Called once, first thing: large buffers (a chunk's events) are mapped
/// on their own and unmapped when freed. glibc otherwise raises this
/// threshold each time such a buffer is freed, after which they come from
/// the heap and stay there.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Hands freed memory back to the system: called when a chunk of history
/// has been folded and dropped.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}
