// Why the editor shows no text for a file: special files (never read by the server, so
// opening a named pipe cannot hang it), binary data, or a file over the size limit.

import type { FileContent } from "./api";

export function formatSize(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const SPECIAL: Record<string, string> = {
  fifo: "Named pipe (FIFO): Mira never reads it, since a read would wait for a writer",
  socket: "Socket: not a file with contents; Mira never reads it",
  char_device: "Character device: Mira never reads device files",
  block_device: "Block device: Mira never reads device files",
};

/** The message shown instead of the text, or null when the text is shown. */
export function fileNotice(file: FileContent): string | null {
  const special = SPECIAL[file.kind];
  if (special) return `${special}.`;
  if (file.binary) return `Binary file (${formatSize(file.size)}).`;
  if (file.too_large) return `File too large to show (${formatSize(file.size)}).`;
  if (file.content === null) return "No text to show.";
  return null;
}
