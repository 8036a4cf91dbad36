// An HTTP server for an express app, whose requests and responses are created on express's own
// prototypes (the `IncomingMessage`/`ServerResponse` options of http.createServer).
//
// Why: express's app.handle gives every request and response its prototypes with Object.setPrototypeOf.
// On an object node has just built, that changes its hidden class, and V8 takes slow paths in node's own
// http code for the rest of the request: on 2 shared cores a bare express route cost ~115 µs of CPU per
// request against ~37 µs for plain node, ~64 µs when served from here. When the object is born with that
// prototype, express's setPrototypeOf finds nothing to change; express runs exactly as under app.listen.
import * as http from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

type IncomingMessageClass = typeof http.IncomingMessage;
type ServerResponseClass = typeof http.ServerResponse;

type Construct<A extends unknown[]> = (this: object, ...args: A) => void;

/** http.createServer(app), as app.listen makes it, with requests born of app.request and responses of app.response. */
export function expressServer(app: Express): http.Server {
  const IncomingMessage = http.IncomingMessage as unknown as Construct<[Socket]>;
  const ServerResponse = http.ServerResponse as unknown as Construct<[http.IncomingMessage, unknown]>;
  // node's constructors are plain functions (Node 20-24): called on an object of express's prototype they
  // build node's object on it. (Reflect.construct with another new.target would do it for a class too, but
  // V8 gives each such object a map of its own: slower than express's own setPrototypeOf.)
  if (/^class\b/.test(Function.prototype.toString.call(IncomingMessage)) || /^class\b/.test(Function.prototype.toString.call(ServerResponse))) {
    return http.createServer(app);
  }
  const Request = function (this: object, socket: Socket) {
    IncomingMessage.call(this, socket);
  };
  Request.prototype = app.request;
  const Response = function (this: object, req: http.IncomingMessage, options: unknown) {
    ServerResponse.call(this, req, options);
  };
  Response.prototype = app.response;
  return http.createServer({ IncomingMessage: Request as unknown as IncomingMessageClass, ServerResponse: Response as unknown as ServerResponseClass }, app);
}
