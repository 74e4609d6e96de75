// The project's MCP servers and their state, for the MCP panel.

import { createProjectResource } from "./projectResource";

export const useMcpStore = createProjectResource((api, projectId) => api.mcpServers(projectId));
