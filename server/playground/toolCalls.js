// Tool calls in the playground: the tools the user wrote (a JSON array of OpenAI tool definitions)
// and the tool choice, added to the request; each call of a reply shown as it streams, its name and
// then its arguments growing; and the turn the conversation keeps: the assistant's calls, then the
// user's next message sent as the result of each call.

const $ = (id) => document.getElementById(id);

/** The request's tool fields; throws with a readable message when the tools are not a JSON array. */
export function toolFields() {
  const text = $("tools").value.trim();
  if (text.length === 0) return {};
  let tools;
  try {
    tools = JSON.parse(text);
  } catch (error) {
    throw new Error(`the tools are not JSON: ${error.message}`);
  }
  if (!Array.isArray(tools)) throw new Error("the tools must be a JSON array of {\"type\": \"function\", \"function\": {...}}");
  return {tools, tool_choice: $("tool-choice").value};
}

/** Shows and collects one reply's calls from the `tool_calls` deltas of its chunks. */
export function createCallList(item) {
  const calls = [];
  const list = document.createElement("ol");
  list.className = "tool-calls";
  item.append(list);
  return {
    calls,
    /** Reads one chunk's tool-call deltas: a delta with an id opens a call, later ones add arguments. */
    add(deltas) {
      for (const delta of deltas) {
        if (delta.id) {
          const entry = document.createElement("li");
          const name = document.createElement("span");
          name.className = "name";
          name.textContent = delta.function.name;
          const args = document.createTextNode(delta.function.arguments ?? "");
          const code = document.createElement("code");
          code.append(args);
          entry.append(name, "(", code, ")");
          list.append(entry);
          calls[delta.index] = {id: delta.id, name: delta.function.name, arguments: delta.function.arguments ?? "", argsNode: args};
        } else if (calls[delta.index] && delta.function && delta.function.arguments) {
          calls[delta.index].arguments += delta.function.arguments;
          calls[delta.index].argsNode.appendData(delta.function.arguments);
        }
      }
    }
  };
}

/** The assistant turn the conversation keeps for a reply that called tools. */
export function assistantTurn(text, calls) {
  return {
    role: "assistant",
    content: text.length > 0 ? text : null,
    tool_calls: calls.map((call) => ({id: call.id, type: "function", function: {name: call.name, arguments: call.arguments}}))
  };
}

/** The user's next message as the result of each call it answers. */
export function resultTurns(calls, text) {
  return calls.map((call) => ({role: "tool", tool_call_id: call.id, content: text}));
}
