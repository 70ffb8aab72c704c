/** What cron does to a crontab command before the shell sees it: \% is %, an unescaped % ends the command. */
export function cronUnescape(command: string): string {
  let out = ''
  for (let i = 0; i < command.length; i++) {
    if (command[i] === '\\' && command[i + 1] === '%') {
      out += '%'
      i++
    } else if (command[i] === '%') break
    else out += command[i]
  }
  return out
}
