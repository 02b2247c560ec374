/**
 * The string constants of a C# class of the server, read from its source (`public const string Name = "word";`),
 * from `class <className>` to the next class when a class is named. The server's lists of words it emits (audit
 * actions, problem codes) are such classes: a test imports the file (`…/AuditActions.cs?raw`), walks them and fails
 * when the UI cannot say one.
 */
export function serverConstants(source: string, className?: string): string[] {
  let body = source
  if (className) {
    const start = source.indexOf(`class ${className}`)
    if (start < 0) throw new Error(`class ${className} not found`)
    const next = source.indexOf(' class ', start + 6)
    body = source.slice(start, next > start ? next : undefined)
  }
  return [...body.matchAll(/public const string \w+ = "([^"]+)";/g)].map((m) => m[1])
}
