import { describe, expect, it } from "vitest";

import type { FileContent } from "./api";
import { fileNotice, formatSize } from "./fileNotice";

const base: FileContent = {
  path: "x",
  kind: "file",
  size: 10,
  modified: null,
  language: null,
  binary: false,
  too_large: false,
  content: "hi",
  hash: "h",
};

describe("fileNotice", () => {
  it("shows the text of a readable file", () => {
    expect(fileNotice(base)).toBeNull();
  });

  it("says a named pipe, socket or device is never read", () => {
    expect(fileNotice({ ...base, kind: "fifo", content: null, hash: null })).toContain("Named pipe (FIFO)");
    expect(fileNotice({ ...base, kind: "socket", content: null, hash: null })).toContain("Socket");
    expect(fileNotice({ ...base, kind: "char_device", content: null, hash: null })).toContain("never reads device files");
  });

  it("gives the size of binary and over-large files", () => {
    expect(fileNotice({ ...base, binary: true, content: null, size: 2048 })).toBe("Binary file (2.0 KiB).");
    expect(fileNotice({ ...base, too_large: true, content: null, size: 3 * 1024 * 1024 })).toBe("File too large to show (3.0 MiB).");
    expect(formatSize(512)).toBe("0.5 KiB");
  });
});
