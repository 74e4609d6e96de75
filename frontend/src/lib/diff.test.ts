import { describe, expect, it } from "vitest";

import { diffStat, parseUnifiedDiff } from "./diff";

const edit = [
  "--- a/src/main.rs",
  "+++ b/src/main.rs",
  "@@ -1,4 +1,4 @@",
  " fn main() {",
  '-    println!("hello");',
  '+    println!("hello, world");',
  "     -- not a header",
  " }",
  "@@ -10 +10,2 @@ fn other()",
  "-x",
  "+y",
  "+z",
  "\\ No newline at end of file",
  "",
].join("\n");

describe("parseUnifiedDiff", () => {
  it("reads hunks with old and new line numbers", () => {
    const [file, ...rest] = parseUnifiedDiff(edit);
    expect(rest).toEqual([]);
    expect(file.oldPath).toBe("src/main.rs");
    expect(file.newPath).toBe("src/main.rs");
    expect(file.hunks).toHaveLength(2);
    const [h1, h2] = file.hunks;
    expect(h1.lines.map((l) => [l.kind, l.oldLine, l.newLine])).toEqual([
      ["context", 1, 1],
      ["del", 2, null],
      ["add", null, 2],
      ["context", 3, 3],
      ["context", 4, 4],
    ]);
    expect(h1.lines[1].text).toBe('    println!("hello");');
    expect(h2.oldStart).toBe(10);
    expect(h2.lines.map((l) => l.kind)).toEqual(["del", "add", "add", "note"]);
    expect(h2.lines[2]).toMatchObject({ text: "z", newLine: 11 });
    expect(diffStat([file])).toBe("+3 -2");
  });

  it("keeps a deleted line that looks like a file header inside its hunk", () => {
    const [file] = parseUnifiedDiff("--- a/x.md\n+++ b/x.md\n@@ -1,2 +1,1 @@\n--- rule\n keep\n");
    expect(file.hunks[0].lines.map((l) => [l.kind, l.text])).toEqual([
      ["del", "-- rule"],
      ["context", "keep"],
    ]);
    expect(file.oldPath).toBe("x.md");
  });

  it("reads several files, new and deleted ones, with or without git headers", () => {
    const text = [
      "diff --git a/new.txt b/new.txt",
      "new file mode 100644",
      "--- /dev/null",
      "+++ b/new.txt",
      "@@ -0,0 +1 @@",
      "+hi",
      "--- a/old.txt",
      "+++ /dev/null",
      "@@ -1 +0,0 @@",
      "-bye",
    ].join("\r\n");
    const files = parseUnifiedDiff(text);
    expect(files.map((f) => [f.oldPath, f.newPath, f.added, f.removed])).toEqual([
      [null, "new.txt", 1, 0],
      ["old.txt", null, 0, 1],
    ]);
  });

  it("returns nothing for text that is not a diff", () => {
    expect(parseUnifiedDiff("")).toEqual([]);
    expect(parseUnifiedDiff("just words\n")).toEqual([]);
  });
});
