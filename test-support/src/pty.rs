//! A program run in a real pseudo-terminal, as a person at a terminal runs it: its
//! standard input, output and error are the terminal, it leads a session of its own
//! with the terminal as its controlling terminal, in the foreground. The test reads
//! what it writes and types answers, as a person would.

use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The most any wait in a test lasts: a program that never says what is expected
/// fails the test instead of hanging it.
pub const LIMIT: Duration = Duration::from_secs(30);

/// A program running in a pseudo-terminal.
pub struct Pty {
    master: File,
    child: Child,
    /// Everything the program wrote to the terminal so far (with the terminal's echo
    /// of what was typed).
    seen: Vec<u8>,
}

impl Pty {
    /// Starts `command` on a new pseudo-terminal of 80 columns: its standard input,
    /// output and error.
    pub fn spawn(command: Command) -> Pty {
        Pty::spawn_with(command, true)
    }

    /// Starts `command` with its standard output and error on a new pseudo-terminal,
    /// and its standard input on it too when `terminal_input`, else `/dev/null`.
    pub fn spawn_with(mut command: Command, terminal_input: bool) -> Pty {
        let (mut master, mut slave) = (-1, -1);
        let size = libc::winsize {
            ws_row: 40,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: the pointers are valid for the call; no name buffer is asked for.
        let opened = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: `openpty` returned two open descriptors that nothing else owns.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let stdio = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup the terminal"));
        let input = if terminal_input {
            stdio(&slave)
        } else {
            Stdio::null()
        };
        command
            .stdin(input)
            .stdout(stdio(&slave))
            .stderr(stdio(&slave));
        // SAFETY: `setsid` and `ioctl` are async-signal-safe, as a `pre_exec` closure
        // must be; they run in the child after its standard streams are set, so
        // standard error is the terminal.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(2, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("the program starts");
        drop(slave);
        Pty {
            master: File::from(master),
            child,
            seen: Vec::new(),
        }
    }

    /// Reads what the program writes until `what` appears, and returns everything
    /// seen so far. Panics, with what was seen, when it does not within [`LIMIT`] or
    /// the program closes the terminal first.
    pub fn expect(&mut self, what: &str) -> String {
        let deadline = Instant::now() + LIMIT;
        loop {
            let text = self.text();
            if text.contains(what) {
                return text;
            }
            if !self.read_some(deadline) {
                panic!("never saw {what:?}; the terminal showed:\n{text}");
            }
        }
    }

    /// Reads what the program writes until `what` has appeared `times` times in all,
    /// and returns everything seen so far; panics as [`Pty::expect`] does.
    pub fn expect_times(&mut self, what: &str, times: usize) -> String {
        let deadline = Instant::now() + LIMIT;
        loop {
            let text = self.text();
            if text.matches(what).count() >= times {
                return text;
            }
            if !self.read_some(deadline) {
                panic!("never saw {what:?} {times} times; the terminal showed:\n{text}");
            }
        }
    }

    /// Types `keys` on the terminal.
    pub fn type_keys(&mut self, keys: &[u8]) {
        self.master
            .write_all(keys)
            .expect("the terminal takes input");
    }

    /// Waits for the program to end, reading everything it writes meanwhile, and
    /// returns its status and everything it wrote.
    pub fn finish(mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + LIMIT;
        while self.read_some(deadline) {}
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return (status, self.text());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "the program did not end; the terminal showed:\n{}",
                    self.text()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Everything seen so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    /// Reads what is there, waiting until `deadline`; false once the program has
    /// closed the terminal (or the deadline passed).
    fn read_some(&mut self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let mut poll = libc::pollfd {
            fd: self.master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = left.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: `poll` points at one valid `pollfd` for the call.
        let ready = unsafe { libc::poll(&mut poll, 1, millis) };
        if ready <= 0 {
            return ready < 0
                && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted;
        }
        let mut buf = [0u8; 4096];
        match self.master.read(&mut buf) {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.seen.extend_from_slice(&buf[..n]);
                true
            }
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Whether this system can open pseudo-terminals (a container may have no
/// `/dev/ptmx`): the tests that need one say so instead of failing obscurely.
pub fn available() -> bool {
    let path = CString::new("/dev/ptmx").expect("no NUL");
    // SAFETY: `path` is a valid NUL-terminated string; the descriptor is closed.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
        if fd < 0 {
            return false;
        }
        libc::close(fd);
    }
    true
}
