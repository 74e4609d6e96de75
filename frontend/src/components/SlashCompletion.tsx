import type { SlashCommand } from "../lib/api";

export const SLASH_LIST_ID = "slash-completion";
export const slashOptionId = (i: number) => `slash-option-${i}`;

/** The commands the typed `/name` completes to; a click picks one without taking the focus. */
export function SlashCompletion({ items, index, onPick }: { items: SlashCommand[]; index: number; onPick(i: number): void }) {
  return (
    <ul className="slash-list" id={SLASH_LIST_ID} role="listbox" aria-label="Commands" data-testid="slash-list">
      {items.map((c, i) => (
        <li
          key={c.name}
          id={slashOptionId(i)}
          role="option"
          aria-selected={i === index}
          className={i === index ? "slash-item on" : "slash-item"}
          data-testid="slash-item"
          data-name={c.name}
          // The input keeps the focus: picking fills it, the user goes on typing.
          onMouseDown={(e) => {
            e.preventDefault();
            onPick(i);
          }}
          ref={i === index ? (el) => el?.scrollIntoView?.({ block: "nearest" }) : undefined}
        >
          <code>/{c.name}</code>
          {c.argument_hint && <span className="muted"> {c.argument_hint}</span>}
          {c.source !== "builtin" && <span className="tag slash-source">{c.source}</span>}
          <span className="slash-description small muted">{c.description}</span>
        </li>
      ))}
    </ul>
  );
}
