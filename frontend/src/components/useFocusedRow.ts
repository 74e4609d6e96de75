import { useEffect, useRef } from "react";

/**
 * A row another part of the panel points at (a profile entry's fact, a habit): brought
 * into view when it becomes the one, so the user sees what the link meant.
 */
export function useFocusedRow<T extends HTMLElement>(focused: boolean) {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (focused) ref.current?.scrollIntoView({ block: "nearest" });
  }, [focused]);
  return ref;
}
