//! Returning memory to the system that the allocator keeps after it was freed. This is the
//! one module of the crate allowed to use `unsafe`.
#![allow(unsafe_code)]

/// Hands the pages of freed memory back to the operating system. glibc keeps memory freed in
/// the middle of its heap resident; after the front end (TOML tree, typed document) is dropped
/// that is over 100 MB at 10,000 services, which the emitter threads, allocating in arenas of
/// their own, would never reuse. Elsewhere a no-op.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` takes no pointers and only walks glibc's own arenas, under their
    // locks; it is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
