/** http and dgram against the local peer: the order of events and what they carry. */
import type { ProbeTopic } from "../../../src/host/conformance/probe.ts";
import { scripts } from "./util.ts";

const H = "var http = require('http');\nvar URL = 'http://127.0.0.1:$HTTP_PORT';\n";
const LOG = "function log(s) { print(s); }\n";

export default {
  topic: "net",
  probes: scripts(
    {
      "get events":
        H +
        LOG +
        "http.get(URL + '/hello', function (res) {\n  log('response ' + res.statusCode);\n  res.on('data', function (d) { log('data ' + d); });\n  res.on('end', function () { log('end'); });\n  res.on('close', function () { log('close'); done(); });\n});",
      "get headers":
        H +
        "http.get(URL + '/hello', function (res) {\n  print(res.headers['Content-Type'], res.headers['Content-Length'], res.httpVersion, res.statusMessage);\n  res.on('close', function () { done(); });\n});",
      "chunked body":
        H +
        "http.get(URL + '/chunked', function (res) {\n  var body = '';\n  res.on('data', function (d) { body += d; });\n  res.on('close', function () { print(res.statusCode, body); done(); });\n});",
      "404":
        H +
        "http.get(URL + '/missing', function (res) {\n  var body = '';\n  res.on('data', function (d) { body += d; });\n  res.on('close', function () { print(res.statusCode, body); done(); });\n});",
      "204 no body":
        H +
        "http.get(URL + '/empty', function (res) {\n  var n = 0;\n  res.on('data', function (d) { n += d.length; });\n  res.on('end', function () { print('end', res.statusCode, n); });\n  res.on('close', function () { print('close'); done(); });\n});",
      "post echo":
        H +
        "var body = '[[1767225600123,23.45]]';\nvar req = http.request({ host: '127.0.0.1', port: $HTTP_PORT, path: '/echo', method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': body.length } }, function (res) {\n  var got = '';\n  res.on('data', function (d) { got += d; });\n  res.on('close', function () { print(res.statusCode, got); done(); });\n});\nreq.end(body);",
      "post utf8 bytes":
        H +
        "var body = E.toString(E.toUint8Array('café €5'));\nvar req = http.request({ host: '127.0.0.1', port: $HTTP_PORT, path: '/echo', method: 'POST', headers: { 'Content-Length': body.length } }, function (res) {\n  var got = '';\n  res.on('data', function (d) { got += d; });\n  res.on('close', function () { print(body.length, got.length, E.toUint8Array(got).join()); done(); });\n});\nreq.end(body);",
      refused:
        H +
        "try {\n  var req = http.get('http://127.0.0.1:1/x', function (res) { print('response?'); });\n  req.on('error', function (e) { print('error', e.code, e.message); });\n  req.on('close', function () { print('req close'); });\n} catch (e) { print('threw', e.name, e.message); }\nsetTimeout(function () { done(); }, 2000);",
      "handler this":
        H +
        "var req = http.request({ host: '127.0.0.1', port: $HTTP_PORT, path: '/echo', method: 'POST', headers: { 'Content-Length': 2 } }, function (res) {\n  print('callback', this === req);\n  res.on('data', function (d) { print('data', this === res); });\n  res.on('end', function () { print('end', this === res); });\n  res.on('close', function () { print('close', this === res); done(); });\n});\nreq.on('close', function () { print('req close', this === req); });\nreq.end('ok');",
      "udp echo":
        "var dgram = require('dgram');\nvar s = dgram.createSocket('udp4');\ns.on('message', function (msg, info) { print('message', msg, typeof msg, info.size); s.close(); done(); });\ns.bind(0, function () { s.send('ping', $UDP_PORT, '127.0.0.1'); });",
    },
    true,
  ),
} satisfies ProbeTopic;
