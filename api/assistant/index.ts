/**
 * The EMS assistant: answers a client in the support chat with Gemini
 * (`@google/genai`), grounded by function calling over the client's own
 * devices, consumption and alerts (see tools.ts). It never fails loudly: with
 * no API key, an SDK error, a model that keeps calling tools, or no answer
 * within the deadline, it replies that an administrator will take over — the
 * chat posts that reply, and administrators see the conversation anyway.
 */
import { type Content, GoogleGenAI, type Part } from '@google/genai';
import type { Logger } from 'pino';
import type { Sql } from '../../db/connect.ts';
import type { ChatMessage } from '../contract.ts';
import { runTool, toolDeclarations } from './tools.ts';

export const OFFLINE_TEXT = 'The assistant is offline right now; an administrator will answer you here.';
export const UNAVAILABLE_TEXT =
  'The assistant could not answer just now; an administrator will answer you here.';
export const BUSY_TEXT =
  'The assistant is still answering (or too busy right now); an administrator will answer you here.';

export interface AssistantOptions {
  /** Unset: the assistant is offline and every answer hands over to administrators. */
  apiKey?: string | undefined;
  /** Gemini model id. Default 'gemini-2.5-flash'. */
  model?: string | undefined;
  /** Replaces the Gemini endpoint (tests point it at a local fake). */
  baseUrl?: string | undefined;
  /** Deadline for a whole answer, tool rounds included. Default 20 000 ms. */
  timeoutMs?: number | undefined;
  /** Model ↔ tool round trips before giving up. Default 5. */
  maxToolRounds?: number | undefined;
  /** Clock, for the "today" the model is told. */
  now?: () => Date;
  /** Where failures (SDK errors, timeouts) are reported; they never reach the client. */
  log?: Pick<Logger, 'warn'> | undefined;
  /** Answers in flight in this process, all clients together. Default 4. */
  maxConcurrent?: number | undefined;
}

export interface AssistantRequest {
  sql: Sql;
  client: { id: string; name: string };
  /** Recent messages of the conversation, oldest first; the last one is the question. */
  history: ChatMessage[];
}

export interface AssistantReply {
  text: string;
  /** True when the assistant could not help and administrators should take over. */
  handedOver: boolean;
}

export interface Assistant {
  readonly online: boolean;
  answer(request: AssistantRequest): Promise<AssistantReply>;
}

function systemInstruction(clientName: string, today: string): string {
  return [
    'You are the EMS assistant, inside the support chat of EMS, an energy monitoring system.',
    `You are talking with the client "${clientName}". Today is ${today} (UTC).`,
    "Only help with EMS and energy topics: the client's devices, their electricity consumption,",
    'hourly limits, alerts, and ways to use less energy. Politely decline anything else.',
    "Use the tools to look up the client's data and never guess numbers; dates for get_consumption",
    "are local dates in the device's time zone. You can only see this client's own data.",
    'Answer briefly, in the language of the client. When you cannot help, or the client asks',
    'for a person, say that an administrator will answer here in the chat.',
  ].join(' ');
}

/** Chat history → Gemini contents: the client is `user`, the assistant `model`, administrators are quoted. */
function toContents(history: ChatMessage[]): Content[] {
  return history
    .filter((m) => m.body !== OFFLINE_TEXT && m.body !== UNAVAILABLE_TEXT)
    .map((m) =>
      m.sender.role === 'assistant'
        ? { role: 'model', parts: [{ text: m.body }] }
        : m.sender.role === 'admin'
          ? { role: 'user', parts: [{ text: `[Administrator ${m.sender.name} wrote]: ${m.body}` }] }
          : { role: 'user', parts: [{ text: m.body }] },
    );
}

export function createAssistant(options: AssistantOptions = {}): Assistant {
  const { apiKey } = options;
  if (!apiKey) {
    return { online: false, answer: async () => ({ text: OFFLINE_TEXT, handedOver: true }) };
  }
  const model = options.model ?? 'gemini-2.5-flash';
  const timeoutMs = options.timeoutMs ?? 20_000;
  const maxRounds = options.maxToolRounds ?? 5;
  const now = options.now ?? (() => new Date());
  const ai = new GoogleGenAI({
    apiKey,
    // No SDK retries: the deadline is ours, and a failed answer hands over instead.
    httpOptions: { ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}), timeout: timeoutMs },
  });

  async function converse(request: AssistantRequest, signal: AbortSignal): Promise<AssistantReply> {
    const contents = toContents(request.history);
    const config = {
      systemInstruction: systemInstruction(request.client.name, now().toISOString().slice(0, 10)),
      tools: [{ functionDeclarations: toolDeclarations }],
      abortSignal: signal,
    };
    for (let round = 0; round <= maxRounds; round++) {
      const response = await ai.models.generateContent({ model, contents, config });
      const calls = response.functionCalls ?? [];
      if (calls.length === 0) {
        const text = response.text?.trim();
        return text ? { text, handedOver: false } : { text: UNAVAILABLE_TEXT, handedOver: true };
      }
      if (round === maxRounds) break;
      contents.push(
        response.candidates?.[0]?.content ?? {
          role: 'model',
          parts: calls.map((c) => ({ functionCall: c })),
        },
      );
      const parts: Part[] = [];
      for (const call of calls) {
        const output = await runTool(request.sql, request.client.id, call.name, call.args);
        parts.push({
          functionResponse: {
            ...(call.id ? { id: call.id } : {}),
            name: call.name ?? 'unknown',
            response: output,
          },
        });
      }
      contents.push({ role: 'user', parts });
    }
    return { text: UNAVAILABLE_TEXT, handedOver: true };
  }

  return limitConcurrency(
    {
      online: true,
      async answer(request) {
        const controller = new AbortController();
        let timer: ReturnType<typeof setTimeout> | undefined;
        // The race guarantees the deadline even if a fetch ignored the abort signal.
        const deadline = new Promise<AssistantReply>((resolve) => {
          timer = setTimeout(() => {
            controller.abort(new Error('assistant deadline'));
            options.log?.warn({ timeoutMs }, 'assistant timed out');
            resolve({ text: UNAVAILABLE_TEXT, handedOver: true });
          }, timeoutMs);
        });
        try {
          return await Promise.race([
            converse(request, controller.signal).catch((err: unknown) => {
              if (!controller.signal.aborted) options.log?.warn({ err }, 'assistant failed');
              return { text: UNAVAILABLE_TEXT, handedOver: true };
            }),
            deadline,
          ]);
        } finally {
          clearTimeout(timer);
          controller.abort();
        }
      },
    },
    options.maxConcurrent ?? 4,
  );
}

/**
 * Caps what the assistant may cost: one answer in flight per client (a client
 * sending 20 questions in a burst no longer starts 20 × 6 Gemini calls) and
 * `max` in flight in the process. Over either cap the answer is the hand-over
 * text at once, without calling the model.
 */
export function limitConcurrency(assistant: Assistant, max: number): Assistant {
  const busy = new Set<string>();
  return {
    online: assistant.online,
    async answer(request) {
      const key = request.client.id;
      if (busy.has(key) || busy.size >= max) return { text: BUSY_TEXT, handedOver: true };
      busy.add(key);
      try {
        return await assistant.answer(request);
      } finally {
        busy.delete(key);
      }
    },
  };
}
