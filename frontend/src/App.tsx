import { useEffect, useMemo, useState } from "react";
import { Group, Panel, Separator } from "react-resizable-panels";

import { ActivityPanel } from "./components/ActivityPanel";
import { BudgetPanel } from "./components/BudgetPanel";
import { BuildPanel } from "./components/BuildPanel";
import { ChatPanel } from "./components/ChatPanel";
import { Editor } from "./components/Editor";
import { FileBrowser } from "./components/FileBrowser";
import { GitPanel } from "./components/GitPanel";
import { McpPanel } from "./components/McpPanel";
import { MemoryPanel } from "./components/MemoryPanel";
import { NoToken } from "./components/NoToken";
import { ProjectPicker } from "./components/ProjectPicker";
import { SearchPanel } from "./components/SearchPanel";
import { StatusBar } from "./components/StatusBar";
import { SymbolPanel } from "./components/SymbolPanel";
import { Api, ApiError } from "./lib/api";
import { checkToken } from "./lib/tokenCheck";
import { WsClient, wsUrlFor } from "./lib/wsClient";
import { useActivityStore } from "./stores/useActivityStore";
import { useAgentStore } from "./stores/useAgentStore";
import { useAuthStore } from "./stores/useAuthStore";
import { useBudgetStore } from "./stores/useBudgetStore";
import { useBuildStore } from "./stores/useBuildStore";
import { useChatStore } from "./stores/useChatStore";
import { useCodeStore } from "./stores/useCodeStore";
import { useConnectionStore } from "./stores/useConnectionStore";
import { useGitStore } from "./stores/useGitStore";
import { useProjectStore } from "./stores/useProjectStore";
import { useSearchStore } from "./stores/useSearchStore";

function handleError(e: unknown) {
  if (e instanceof ApiError && e.status === 401) {
    useAuthStore.getState().reject(e.message, window.sessionStorage);
    return;
  }
  useProjectStore.setState({ error: e instanceof Error ? e.message : String(e) });
}

function Workspace({ token }: { token: string }) {
  const api = useMemo(() => new Api(token), [token]);
  const projects = useProjectStore((s) => s.projects);
  const selectedId = useProjectStore((s) => s.selectedId);
  const error = useProjectStore((s) => s.error);
  const openPath = useProjectStore((s) => s.openFile?.path ?? null);

  useEffect(() => {
    if (selectedId === null || openPath === null) {
      useGitStore.getState().reset();
      return;
    }
    useGitStore.getState().load(api, selectedId, openPath).catch(handleError);
  }, [api, selectedId, openPath]);

  useEffect(() => {
    useProjectStore.getState().load(api).catch(handleError);
  }, [api]);

  useEffect(() => {
    if (selectedId !== null) useCodeStore.getState().loadFiles(api, selectedId).catch(handleError);
  }, [api, selectedId]);

  useEffect(() => {
    if (selectedId !== null) useCodeStore.getState().loadOutline(api, selectedId, openPath).catch(handleError);
  }, [api, selectedId, openPath]);

  useEffect(() => {
    // Each project has its own index: its search starts afresh.
    useSearchStore.getState().reset();
    if (selectedId !== null) useSearchStore.getState().loadStatus(api, selectedId).catch(handleError);
  }, [api, selectedId]);

  const [insights, setInsights] = useState<"git" | "symbols" | "search" | "memory" | "mcp">("git");
  const [talk, setTalk] = useState<"chat" | "budget">("chat");
  const [searchFocus, setSearchFocus] = useState(0);

  useEffect(() => {
    // Ctrl+Shift+F: the search tab, its box focused. Capturing, so Monaco does not take it.
    const onKey = (e: KeyboardEvent) => {
      if (!e.ctrlKey || !e.shiftKey || e.altKey || e.metaKey || e.key.toLowerCase() !== "f") return;
      e.preventDefault();
      e.stopPropagation();
      setInsights("search");
      setSearchFocus((n) => n + 1);
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, []);

  useEffect(() => {
    useChatStore.setState({ onSettled: () => void useBudgetStore.getState().load(api) });
    // An applied change or a rewind rewrote files: the editor shows the new bytes.
    useAgentStore.setState({ onFilesChanged: (paths) => void useProjectStore.getState().refresh(api, paths).catch(handleError) });
  }, [api]);

  useEffect(() => {
    const client = new WsClient(wsUrlFor(window.location), token, {
      onState: (state, detail) => {
        useConnectionStore.getState().set(state, detail);
        // Chat requests go out only on an open socket.
        const send = state === "open" ? (type: string, params: Record<string, unknown>) => client.request(type, params) : null;
        useChatStore.getState().attach(send);
        useAgentStore.getState().attach(send);
        if (state === "reconnecting") void checkToken(api, handleError);
      },
      onFrame: (frame) => {
        if (frame.type === "chat") {
          useChatStore.getState().onFrame(frame.id, frame);
        } else if (frame.type === "agent") {
          useAgentStore.getState().onFrame(frame.id, frame.operation_id, frame);
        } else if (frame.type === "result") {
          // Each store takes the answers to its own requests and passes over the rest.
          useChatStore.getState().onResult(frame.id, frame.data);
          useAgentStore.getState().onResult(frame.id, frame.data);
        } else if (frame.type === "error") {
          useChatStore.getState().onError(frame.id, frame.code, frame.message);
          useAgentStore.getState().onError(frame.id, frame.code, frame.message);
        } else if (frame.type === "event" && frame.event === "activity") {
          useActivityStore.getState().activity(frame.data);
          if (frame.data.kind.startsWith("project.")) useProjectStore.getState().load(api).catch(handleError);
          const { selectedId: id, openFile } = useProjectStore.getState();
          if (frame.data.kind === "git.indexed" && id !== null && openFile) {
            useGitStore.getState().load(api, id, openFile.path).catch(handleError);
          }
          if ((frame.data.kind === "code.indexed" || frame.data.kind === "code.updated") && id !== null) {
            useCodeStore.getState().loadFiles(api, id).catch(handleError);
            useCodeStore.getState().loadOutline(api, id, openFile?.path ?? null).catch(handleError);
          }
          if (frame.data.kind.startsWith("search.") && id !== null) {
            useSearchStore.getState().refresh(api, id).catch(handleError);
          }
        } else if (frame.type === "event" && frame.event === "progress") {
          useActivityStore.getState().progress(frame.data);
        } else if (frame.type === "event" && frame.event === "build_started") {
          useBuildStore.getState().started(frame.data);
          useActivityStore.getState().activity({
            ts: new Date().toISOString(),
            kind: "build.started",
            message: `Running ${frame.data.command_line}`,
          });
        } else if (frame.type === "event" && frame.event === "build_output") {
          useBuildStore.getState().appendOutput(frame.data);
        } else if (frame.type === "event" && frame.event === "build_finished") {
          useBuildStore.getState().finished(api, frame.data).catch(handleError);
        }
      },
      onProtocolError: (message) => console.warn(`ignored a malformed server frame: ${message}`),
    });
    client.start();
    return () => client.stop();
  }, [api, token]);

  return (
    <div className="app">
      <header className="top-bar">
        <strong>Mira</strong>
        <ProjectPicker api={api} onError={handleError} />
        <span className="muted root">{projects.find((p) => p.id === selectedId)?.root}</span>
      </header>
      <Group orientation="horizontal" className="main">
        <Panel defaultSize="22" minSize="10">
          <section className="panel">
            <h2>Files</h2>
            <FileBrowser api={api} onError={handleError} />
          </section>
        </Panel>
        <Separator className="separator" />
        <Panel defaultSize="50" minSize="20">
          <Group orientation="vertical">
            <Panel defaultSize="68" minSize="20">
              <section className="panel">
                <Editor api={api} onError={handleError} />
              </section>
            </Panel>
            <Separator className="separator separator-h" />
            <Panel defaultSize="32" minSize="10">
              <section className="panel">
                <h2>Build</h2>
                <BuildPanel api={api} onError={handleError} />
              </section>
            </Panel>
          </Group>
        </Panel>
        <Separator className="separator" />
        <Panel defaultSize="28" minSize="12">
          <Group orientation="vertical">
            <Panel defaultSize="45" minSize="10">
              <section className="panel">
                <div className="tabs panel-tabs" role="tablist">
                  {(["chat", "budget"] as const).map((t) => (
                    <button
                      key={t}
                      type="button"
                      role="tab"
                      aria-selected={talk === t}
                      className={talk === t ? "tab on" : "tab"}
                      data-testid={`talk-tab-${t}`}
                      onClick={() => setTalk(t)}
                    >
                      {t === "chat" ? "Chat" : "Budget"}
                    </button>
                  ))}
                </div>
                {talk === "chat" ? <ChatPanel api={api} onError={handleError} /> : <BudgetPanel api={api} onAsk={() => setTalk("chat")} />}
              </section>
            </Panel>
            <Separator className="separator separator-h" />
            <Panel defaultSize="35" minSize="15">
              <section className="panel">
                <div className="tabs panel-tabs" role="tablist">
                  {(["git", "symbols", "search", "memory", "mcp"] as const).map((t) => (
                    <button
                      key={t}
                      type="button"
                      role="tab"
                      aria-selected={insights === t}
                      className={insights === t ? "tab on" : "tab"}
                      data-testid={`insights-tab-${t}`}
                      onClick={() => setInsights(t)}
                    >
                      {{ git: "Git", symbols: "Symbols", search: "Search", memory: "Memory", mcp: "MCP" }[t]}
                    </button>
                  ))}
                </div>
                {insights === "git" && <GitPanel api={api} onError={handleError} />}
                {insights === "symbols" && <SymbolPanel api={api} onError={handleError} />}
                {insights === "search" && <SearchPanel api={api} onError={handleError} focusTick={searchFocus} />}
                {insights === "memory" && <MemoryPanel api={api} onError={handleError} onOpenChat={() => setTalk("chat")} />}
                {insights === "mcp" && <McpPanel api={api} onError={handleError} />}
              </section>
            </Panel>
            <Separator className="separator separator-h" />
            <Panel defaultSize="20" minSize="10">
              <section className="panel">
                <h2>Activity</h2>
                <ActivityPanel />
              </section>
            </Panel>
          </Group>
        </Panel>
      </Group>
      <StatusBar error={error} />
    </div>
  );
}

export function App() {
  const { token, status, message } = useAuthStore();

  useEffect(() => {
    const rest = useAuthStore.getState().init(window.location.hash, window.sessionStorage);
    if (window.location.hash !== rest) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search + rest);
    }
  }, []);

  if (status === "unknown") return null;
  if (!token) return <NoToken message={status === "rejected" ? message : null} />;
  return <Workspace token={token} />;
}
