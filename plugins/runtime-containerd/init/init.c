/* PID 1 of every containerd container: keeps the container alive between processes and reaps
 * orphans. No signal handlers but SIGCHLD's, so as a namespace's init it ignores SIGTERM from
 * outside (only SIGKILL, i.e. container destroy, ends it). Linked statically: it runs inside
 * whatever rootfs the container has. */
#include <signal.h>
#include <sys/wait.h>

static void on_child(int sig) {
  (void)sig;
}

int main(void) {
  sigset_t chld, none;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &chld, 0);
  struct sigaction sa = {0};
  sa.sa_handler = on_child;
  sigaction(SIGCHLD, &sa, 0);
  for (;;) {
    while (waitpid(-1, 0, WNOHANG) > 0) {
    }
    sigsuspend(&none); /* SIGCHLD is blocked outside this call, so no wake-up is lost */
  }
}
