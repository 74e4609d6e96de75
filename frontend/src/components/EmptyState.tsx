interface Action {
  label: string;
  testid: string;
  onClick(): void;
}

/** What an empty panel would show, what fills it, and the button that does. */
export function EmptyState({ title, detail, action, testid }: { title: string; detail?: string; action?: Action; testid: string }) {
  return (
    <div className="empty-state" data-testid={testid}>
      <p>
        <strong>{title}</strong>
        {detail ? ` ${detail}` : ""}
      </p>
      {action && (
        <button type="button" data-testid={action.testid} onClick={action.onClick}>
          {action.label}
        </button>
      )}
    </div>
  );
}
