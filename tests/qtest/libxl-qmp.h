/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libxl-mode test harness shared by libxl-qmp-test.c (which defines
 * it) and libxl-state-test.c: emunet started with libxl's argv under
 * qtest, a libxl-style QMP client ("\r\n" framing, integer ids) and the
 * stand-in companion's log (companion-stub.c).
 */
#ifndef LIBXL_QMP_H
#define LIBXL_QMP_H

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#define TIMEOUT_MS 30000

typedef struct Emu {
    pid_t pid;
    bool reaped;
    int status;
    int qtest_fd;
    int wire_fd;
    char *dir;
    char *err_path;
    char *stub_log;
    char *libxl_path;
    char *xenstat_path;
} Emu;

typedef struct Qmp {
    int fd;
    GString *rx;
    char *greeting;
} Qmp;

#define LIBXL_QMP_PATHS                                                        \
    "-chardev", "socket,id=libxl-cmd,path=@/qmp-libxl-5,server=on,wait=off",   \
        "-mon", "chardev=libxl-cmd,mode=control", "-chardev",                  \
        "socket,id=libxenstat-cmd,path=@/qmp-libxenstat-5,server=on,"          \
        "wait=off",                                                            \
        "-mon", "chardev=libxenstat-cmd,mode=control"
#define LIBXL_MIDDLE                                                           \
    "-nodefaults", "-no-user-config", "-name", "g1", "-vnc",                   \
        "127.0.0.1:0,to=99", "-display", "none", "-device",                    \
        "cirrus-vga,vgamem_mb=8", "-boot", "order=cda", "-smp", "2,maxcpus=2"
#define LIBXL_TAIL "-machine", "xenfv,suppress-vmdesc=on", "-m", "1016"

/* A listening UNIX socket at `path`. */
int listen_unix(const char *path);

/* emunet's stderr and the stub's log so far (g_free). */
char *emu_stderr(Emu *e);
char *stub_log(Emu *e);

/* Wait for emunet to exit; false on timeout. */
bool emu_wait(Emu *e, int timeout_ms);
/* Its exit code (it must exit normally). */
int emu_exit_code(Emu *e);

/*
 * Start emunet with `args` after the qtest options ("@" stands for the
 * private directory). `pass_fd` (or -1) is inherited as it is. With
 * `expect_up`, returns once emunet connected its qtest socket.
 */
Emu *emu_start_argv(const char *const *args, int pass_fd, bool expect_up);
/* Kill if still running, remove the files. */
void emu_free(Emu *e);

/* One message; asserts QEMU's "\r\n" framing. Owned by the caller. */
char *qmp_line(Qmp *q);
Qmp *qmp_open_fd(int fd);
Qmp *qmp_open(const char *path);
void qmp_close(Qmp *q);
void qmp_send(Qmp *q, const char *json);
/* The next message that is not an event. */
char *qmp_reply(Qmp *q);
char *qmp_cmd(Qmp *q, const char *json);
void qmp_check(Qmp *q, const char *json, const char *want);
/* libxl's connection: greeting, then qmp_capabilities with id 1. */
Qmp *libxl_connect(const char *path);

/* §1.2's argv with the e1000 (nic0) on a socketpair, and the stub. */
Emu *start_libxl(bool with_nic);

/* Does the log have exactly this line? */
bool log_has(const char *log, const char *line);
/* Wait until the stub's log has `line`; returns the log. */
char *wait_log(Emu *e, const char *line);
/* The stub's pid from its log. */
pid_t stub_pid(const char *log);

/* libxl-state-test.c */
void libxl_state_register(void);

#endif
