/**
 * Colour only on a terminal, and never when NO_COLOR is set to anything but the
 * empty string (https://no-color.org). Every colour rigor prints itself asks here;
 * oclif's help and warnings and listr2 follow the same rule on their own.
 */
export function colorOn(stream: {isTTY?: boolean}, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR
}

export const red = (text: string): string => `\u001b[31m${text}\u001b[39m`
export const cyan = (text: string): string => `\u001b[36m${text}\u001b[39m`
