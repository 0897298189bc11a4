/* concourse-init: PID 1 of every guardian/containerd container. It keeps the container alive
 * between processes, reaps the zombies that exec'd processes leave behind (orphans are
 * re-parented to it), and exits on SIGTERM/SIGINT so `kill` stops the container cleanly.
 * Static, no libc features beyond signals, so it runs in any rootfs. */
#include <signal.h>
#include <sys/wait.h>

int main(void) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, 0);
  for (;;) {
    int sig = 0;
    if (sigwait(&all, &sig) != 0)
      continue;
    if (sig == SIGTERM || sig == SIGINT)
      return 0;
    if (sig == SIGCHLD) {
      while (waitpid(-1, 0, WNOHANG) > 0) {
      }
    }
  }
}
