import { useState } from "react";

interface Props {
  /** The button's word, and the question's verb ("Forget" asks "Forget f12?"). */
  label: string;
  /** What the question names. */
  what: string;
  testid: string;
  disabled?: boolean;
  onConfirm(): void;
}

/** A button for what cannot be undone: the first click asks, the second does it. */
export function ConfirmButton({ label, what, testid, disabled = false, onConfirm }: Props) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="link small" data-testid={testid} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm small" role="group" aria-label={`${label} ${what}?`}>
      {label} {what}?{" "}
      <button
        type="button"
        className="link danger"
        data-testid={`${testid}-confirm`}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Yes
      </button>{" "}
      <button type="button" className="link" data-testid={`${testid}-cancel`} onClick={() => setAsking(false)}>
        No
      </button>
    </span>
  );
}
