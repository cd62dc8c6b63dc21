/**
 * OTLP protobuf messages (opentelemetry-proto v1 trace + collector trace service, google.rpc.Status),
 * declared as a protobufjs reflection descriptor. protobufjs is the most used protobuf runtime for
 * JavaScript; declaring only the messages the collector reads keeps the surface small and avoids
 * shipping .proto files next to the bundle. Enums are read as int32 (wire-identical), so unknown enum
 * values from newer senders pass through.
 */
import protobuf from 'protobufjs';

const repeated = (type: string, id: number) => ({ type, id, rule: 'repeated' as const });

const descriptor = {
  nested: {
    otlp: {
      nested: {
        AnyValue: {
          oneofs: {
            value: {
              oneof: [
                'stringValue',
                'boolValue',
                'intValue',
                'doubleValue',
                'arrayValue',
                'kvlistValue',
                'bytesValue',
              ],
            },
          },
          fields: {
            stringValue: { type: 'string', id: 1 },
            boolValue: { type: 'bool', id: 2 },
            intValue: { type: 'int64', id: 3 },
            doubleValue: { type: 'double', id: 4 },
            arrayValue: { type: 'ArrayValue', id: 5 },
            kvlistValue: { type: 'KeyValueList', id: 6 },
            bytesValue: { type: 'bytes', id: 7 },
          },
        },
        ArrayValue: { fields: { values: repeated('AnyValue', 1) } },
        KeyValueList: { fields: { values: repeated('KeyValue', 1) } },
        KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
        InstrumentationScope: {
          fields: {
            name: { type: 'string', id: 1 },
            version: { type: 'string', id: 2 },
            attributes: repeated('KeyValue', 3),
            droppedAttributesCount: { type: 'uint32', id: 4 },
          },
        },
        Resource: {
          fields: {
            attributes: repeated('KeyValue', 1),
            droppedAttributesCount: { type: 'uint32', id: 2 },
          },
        },
        ResourceSpans: {
          fields: {
            resource: { type: 'Resource', id: 1 },
            scopeSpans: repeated('ScopeSpans', 2),
            schemaUrl: { type: 'string', id: 3 },
          },
        },
        ScopeSpans: {
          fields: {
            scope: { type: 'InstrumentationScope', id: 1 },
            spans: repeated('Span', 2),
            schemaUrl: { type: 'string', id: 3 },
          },
        },
        Span: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            traceState: { type: 'string', id: 3 },
            parentSpanId: { type: 'bytes', id: 4 },
            flags: { type: 'fixed32', id: 16 },
            name: { type: 'string', id: 5 },
            kind: { type: 'int32', id: 6 },
            startTimeUnixNano: { type: 'fixed64', id: 7 },
            endTimeUnixNano: { type: 'fixed64', id: 8 },
            attributes: repeated('KeyValue', 9),
            droppedAttributesCount: { type: 'uint32', id: 10 },
            events: repeated('Event', 11),
            droppedEventsCount: { type: 'uint32', id: 12 },
            links: repeated('Link', 13),
            droppedLinksCount: { type: 'uint32', id: 14 },
            status: { type: 'Status', id: 15 },
          },
        },
        Event: {
          fields: {
            timeUnixNano: { type: 'fixed64', id: 1 },
            name: { type: 'string', id: 2 },
            attributes: repeated('KeyValue', 3),
            droppedAttributesCount: { type: 'uint32', id: 4 },
          },
        },
        Link: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            traceState: { type: 'string', id: 3 },
            attributes: repeated('KeyValue', 4),
            droppedAttributesCount: { type: 'uint32', id: 5 },
            flags: { type: 'fixed32', id: 6 },
          },
        },
        Status: { fields: { message: { type: 'string', id: 2 }, code: { type: 'int32', id: 3 } } },
        ExportTraceServiceRequest: { fields: { resourceSpans: repeated('ResourceSpans', 1) } },
        ExportTraceServiceResponse: {
          fields: { partialSuccess: { type: 'ExportTracePartialSuccess', id: 1 } },
        },
        ExportTracePartialSuccess: {
          fields: { rejectedSpans: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } },
        },
        Any: { fields: { typeUrl: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
        RpcStatus: {
          fields: {
            code: { type: 'int32', id: 1 },
            message: { type: 'string', id: 2 },
            details: repeated('Any', 3),
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);

export const ExportTraceServiceRequest = root.lookupType('otlp.ExportTraceServiceRequest');
export const ExportTraceServiceResponse = root.lookupType('otlp.ExportTraceServiceResponse');
export const RpcStatus = root.lookupType('otlp.RpcStatus');

/** Shapes of decoded messages (protobufjs message instances; absent fields read as defaults). */
export interface PbLong {
  low: number;
  high: number;
  unsigned: boolean;
  toString(): string;
}
export interface PbKeyValue {
  key: string;
  value?: PbAnyValue | null;
}
export interface PbAnyValue {
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: PbLong | number;
  doubleValue?: number;
  arrayValue?: { values: PbAnyValue[] } | null;
  kvlistValue?: { values: PbKeyValue[] } | null;
  bytesValue?: Uint8Array;
}
export interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  parentSpanId: Uint8Array;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: PbLong | number;
  endTimeUnixNano: PbLong | number;
  attributes: PbKeyValue[];
  droppedAttributesCount: number;
  events: Array<{ timeUnixNano: PbLong | number; name: string; attributes: PbKeyValue[] }>;
  droppedEventsCount: number;
  links: Array<{ traceId: Uint8Array; spanId: Uint8Array; traceState: string; attributes: PbKeyValue[] }>;
  droppedLinksCount: number;
  status?: { message: string; code: number } | null;
}
export interface PbRequest {
  resourceSpans: Array<{
    resource?: { attributes: PbKeyValue[] } | null;
    schemaUrl: string;
    scopeSpans: Array<{
      scope?: { name: string; version: string; attributes: PbKeyValue[] } | null;
      schemaUrl: string;
      spans: PbSpan[];
    }>;
  }>;
}

export function encodeResponse(rejectedSpans: number, errorMessage: string): Uint8Array {
  const msg =
    rejectedSpans > 0 || errorMessage
      ? { partialSuccess: { rejectedSpans, errorMessage } }
      : ({} as Record<string, unknown>);
  return ExportTraceServiceResponse.encode(ExportTraceServiceResponse.fromObject(msg)).finish();
}

export function encodeRpcStatus(code: number, message: string): Uint8Array {
  return RpcStatus.encode(RpcStatus.fromObject({ code, message })).finish();
}
