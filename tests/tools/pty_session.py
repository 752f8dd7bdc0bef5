"""Runs a command on a pseudo-terminal and types answers when it prompts.

Usage: python3 pty_session.py PROMPT ANSWER... -- COMMAND ARGS...

Each time PROMPT appears in the output, the next ANSWER and a newline are typed. Prints
everything the command wrote and exits with its exit status.
"""

import os
import pty
import sys


def main():
    sep = sys.argv.index("--")
    prompt, answers, command = sys.argv[1].encode(), sys.argv[2:sep], sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    seen = b""
    typed = 0
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        while seen.count(prompt) > typed and typed < len(answers):
            os.write(fd, answers[typed].encode() + b"\n")
            typed += 1
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(seen.decode("utf-8", "replace"))
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
