export function NoToken({ message }: { message: string | null }) {
  return (
    <div className="no-token" data-testid="no-token">
      <h1>Mira</h1>
      <p>{message ?? "No access token."}</p>
      <p>
        Run <code>mira token</code> and open the URL it prints.
      </p>
    </div>
  );
}
