import { describe, expect, it } from "vitest";

import type { SlashCommand } from "./api";
import { completeCommands, completionKey, completionQuery, pickedDraft } from "./slashCommands";

function cmd(name: string, extra: Partial<SlashCommand> = {}): SlashCommand {
  return { name, description: `about ${name}`, argument_hint: null, source: "project", origin: null, shadowed_by: null, ...extra };
}

const COMMANDS = [
  cmd("help", { source: "builtin" }),
  cmd("model", { source: "builtin", argument_hint: "[model|tier|default]" }),
  cmd("git:pr", { origin: ".claude/commands/git/pr.md", argument_hint: "[number]" }),
  cmd("review"),
  cmd("pr-summary", { source: "user" }),
  // The project's `help` loses to the built-in: it cannot be run by its name.
  cmd("help", { origin: ".mira/commands/help.md", shadowed_by: "builtin" }),
  cmd("mcp__github__pr", { source: "mcp" }),
];

describe("completionQuery", () => {
  it("is what follows the slash until the first space", () => {
    expect(completionQuery("/")).toBe("");
    expect(completionQuery("/gi")).toBe("gi");
    expect(completionQuery("/git:pr")).toBe("git:pr");
    expect(completionQuery("/git:pr ")).toBeNull();
    expect(completionQuery("/git:pr 12")).toBeNull();
    expect(completionQuery("/a\nb")).toBeNull();
    expect(completionQuery(" /help")).toBeNull();
    expect(completionQuery("help")).toBeNull();
    expect(completionQuery("")).toBeNull();
  });
});

describe("completeCommands", () => {
  it("lists prefix matches before substring matches, without shadowed commands", () => {
    expect(completeCommands(COMMANDS, "pr").map((c) => c.name)).toEqual(["pr-summary", "git:pr", "mcp__github__pr"]);
    expect(completeCommands(COMMANDS, "").map((c) => c.name)).toEqual(["help", "model", "git:pr", "review", "pr-summary", "mcp__github__pr"]);
    const help = completeCommands(COMMANDS, "help");
    expect(help).toHaveLength(1);
    expect(help[0].source).toBe("builtin");
  });

  it("ignores case and finds nothing for a name no command has", () => {
    expect(completeCommands(COMMANDS, "GIT").map((c) => c.name)).toEqual(["git:pr", "mcp__github__pr"]);
    expect(completeCommands(COMMANDS, "zzz")).toEqual([]);
  });

  it("fills the name and a space when a command is picked", () => {
    expect(pickedDraft(COMMANDS[2])).toBe("/git:pr ");
    // The space closes the list: the arguments follow.
    expect(completionQuery(pickedDraft(COMMANDS[2]))).toBeNull();
  });
});

describe("completionKey", () => {
  it("moves with the arrows, wrapping at both ends", () => {
    expect(completionKey("ArrowDown", false, 0, 3)).toEqual({ type: "move", index: 1 });
    expect(completionKey("ArrowDown", false, 2, 3)).toEqual({ type: "move", index: 0 });
    expect(completionKey("ArrowUp", false, 0, 3)).toEqual({ type: "move", index: 2 });
    expect(completionKey("ArrowUp", false, 2, 3)).toEqual({ type: "move", index: 1 });
  });

  it("picks the highlighted item with Tab or Enter, closes with Escape", () => {
    expect(completionKey("Tab", false, 1, 3)).toEqual({ type: "pick", index: 1 });
    expect(completionKey("Enter", false, 2, 3)).toEqual({ type: "pick", index: 2 });
    // A list that shrank under the highlight picks its last item.
    expect(completionKey("Enter", false, 5, 2)).toEqual({ type: "pick", index: 1 });
    expect(completionKey("Escape", false, 0, 3)).toEqual({ type: "close" });
  });

  it("leaves other keys, Shift+Enter, Shift+Tab and an empty list to the input", () => {
    expect(completionKey("Enter", true, 0, 3)).toBeNull();
    expect(completionKey("Tab", true, 0, 3)).toBeNull();
    expect(completionKey("a", false, 0, 3)).toBeNull();
    expect(completionKey("ArrowLeft", false, 0, 3)).toBeNull();
    expect(completionKey("Enter", false, 0, 0)).toBeNull();
    expect(completionKey("ArrowDown", false, 0, 0)).toBeNull();
  });
});
