// The project's slash commands, for the chat input's completion.

import { createProjectResource } from "./projectResource";

export const useCommandStore = createProjectResource((api, projectId) => api.commands(projectId));
