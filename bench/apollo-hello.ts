/**
 * Reference server for bench/cluster.ts: a bare Apollo Server 5 with `type Query { hello: String }`,
 * nothing else (no auth, no context, no plugins, no database), served by `startStandaloneServer` on an
 * ephemeral loopback port. Run as a child process; it sends `{ type: 'ready', url }` over IPC (or prints
 * it when started by hand: `npx tsx bench/apollo-hello.ts`) and exits when the parent goes away.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const server = new ApolloServer({
  typeDefs: 'type Query { hello: String }',
  resolvers: { Query: { hello: () => 'world' } },
});
const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
const ready = { type: 'ready', url, pid: process.pid };
if (process.send) {
  process.send(ready);
  process.on('disconnect', () => void server.stop().finally(() => process.exit(0)));
  process.on('message', (m: { cmd?: string }) => {
    if (m?.cmd === 'close') void server.stop().finally(() => process.exit(0));
  });
} else {
  console.log(JSON.stringify(ready));
  process.once('SIGINT', () => void server.stop().finally(() => process.exit(0)));
}
