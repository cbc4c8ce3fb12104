using System.Net.Sockets;
using System.Security.Cryptography;
using MmProxy.Interop;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>
/// A reset on either side resets the other (never a FIN in its place), counted and logged as the
/// side that reset: at rest, while data flows, after a half-close, and when the reset's error was
/// already taken from the socket.
/// </summary>
public sealed class TcpRelayResetTests
{
    [Fact]
    public async Task A_client_reset_resets_the_upstream_and_is_logged_as_the_clients()
    {
        await using var rig = TcpLoopRig.Start();
        (Socket client, Socket server) = await rig.OpenAsync("x");
        using (server)
        {
            Loopback.Reset(client);
            await Loopback.AssertResetAsync(server);
        }

        await AssertResetLoggedAsync(rig, "client");
    }

    [Fact]
    public async Task An_upstream_reset_resets_the_client_and_is_logged_as_the_upstreams()
    {
        await using var rig = TcpLoopRig.Start();
        (Socket client, Socket server) = await rig.OpenAsync("x");
        using (client)
        {
            Loopback.Reset(server);
            await Loopback.AssertResetAsync(client);
        }

        await AssertResetLoggedAsync(rig, "upstream");
    }

    [Fact]
    public async Task An_upstream_reset_while_data_flows_resets_the_client()
    {
        await using var rig = TcpLoopRig.Start();
        (Socket client, Socket server) = await rig.OpenAsync("x");
        using (client)
        {
            byte[] chunk = RandomNumberGenerator.GetBytes(256 * 1024);
            await Loopback.SendAllAsync(client, chunk);
            await Loopback.ReadExactlyAsync(server, chunk.Length);
            Loopback.Reset(server);

            // The client keeps sending into a relay whose upstream is gone: it must see a reset. The
            // kernel reports a reset once, to whichever of the client's send or receive comes first.
            SocketError sendError = SocketError.Success;
            try
            {
                for (int i = 0; i < 1000; i++)
                {
                    await Loopback.SendAllAsync(client, chunk);
                }
            }
            catch (SocketException ex)
            {
                sendError = ex.SocketErrorCode;
            }

            Assert.NotEqual(SocketError.Success, sendError);
            if (sendError != SocketError.ConnectionReset)
            {
                await Loopback.AssertResetAsync(client);
            }
        }

        await AssertResetLoggedAsync(rig, "upstream");
    }

    [Fact]
    public async Task A_client_reset_during_a_download_resets_the_upstream_not_fin()
    {
        // The server has queued more than the path holds; the client reads part of it and resets.
        await using var rig = TcpLoopRig.Start();
        (Socket client, Socket server) = await rig.OpenAsync("x");
        using (server)
        {
            Assert.True(Loopback.FillUntilBlocked(server, RandomNumberGenerator.GetBytes(256 * 1024)) > 256 * 1024);
            await Loopback.ReadExactlyAsync(client, 256 * 1024);
            Loopback.Reset(client);
            await Loopback.AssertResetAsync(server);
        }

        await AssertResetLoggedAsync(rig, "client");
    }

    [Fact]
    public async Task An_upstream_reset_after_the_clients_fin_still_resets_the_client()
    {
        await using var rig = TcpLoopRig.Start();
        (Socket client, Socket server) = await rig.OpenAsync();
        using (client)
        {
            client.Shutdown(SocketShutdown.Send);
            Assert.Empty(await Loopback.ReadToEndAsync(server));

            // The server resets while the client waits for a response.
            Loopback.Reset(server);
            await Loopback.AssertResetAsync(client);
        }

        await AssertResetLoggedAsync(rig, "upstream");
    }

    [Fact]
    public async Task A_client_reset_after_the_upstreams_fin_still_resets_the_upstream()
    {
        await using var rig = TcpLoopRig.Start();
        (Socket client, Socket server) = await rig.OpenAsync();
        using (server)
        {
            server.Shutdown(SocketShutdown.Send);
            Assert.Empty(await Loopback.ReadToEndAsync(client));
            Loopback.Reset(client);
            await Loopback.AssertResetAsync(server);
        }

        await AssertResetLoggedAsync(rig, "client");
    }

    [Fact]
    public async Task An_upstream_reset_after_its_own_fin_on_a_quiet_connection_resets_the_client()
    {
        // Nothing reads or writes the upstream socket any more (its FIN was passed on, the client is
        // quiet): only the error event tells the relay.
        await using var rig = TcpLoopRig.Start();
        (Socket client, Socket server) = await rig.OpenAsync();
        using (client)
        {
            server.Shutdown(SocketShutdown.Send);
            Assert.Empty(await Loopback.ReadToEndAsync(client));
            await rig.SettleAsync();
            Loopback.Reset(server);
            await rig.WaitUntilAsync(() => rig.Counters.Active == 0, "the connection to close");
            Loopback.AssertResetAfterFin(client);
        }

        await AssertResetLoggedAsync(rig, "upstream");
    }

    [Fact]
    public async Task A_reset_whose_error_was_already_consumed_is_not_passed_on_as_fin()
    {
        // The client resets while the loop is held; its error is then taken from the proxy's socket
        // (as a write of the other direction would), so reading that socket returns 0 as for a FIN.
        // The relay must tell the two apart: the upstream gets a reset, not a FIN.
        await using var rig = TcpLoopRig.Start();
        (Socket client, Socket server) = await rig.OpenAsync("x");
        using (server)
        {
            await rig.SettleAsync();
            int proxySide = TcpLoopRig.DescriptorAt(rig.EndPoint);
            var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var release = new ManualResetEventSlim();
            Task held = rig.Loop.RunOnLoopAsync(() =>
            {
                holding.TrySetResult();
                release.Wait(Loopback.Deadline);
            });
            await holding.Task.WaitAsync(Loopback.Deadline);
            try
            {
                Loopback.Reset(client);
                Assert.True(SpinWait.SpinUntil(() => RawSocket.TcpState(proxySide) == RawSocket.TcpStateClose, Loopback.Deadline),
                    "the proxy's socket never saw the reset");
                Assert.Equal(Errno.ECONNRESET, RawSocket.PendingError(proxySide));
            }
            finally
            {
                release.Set();
            }

            await held.WaitAsync(Loopback.Deadline);
            await Loopback.AssertResetAsync(server);
        }

        await AssertResetLoggedAsync(rig, "client");
    }

    private static async Task AssertResetLoggedAsync(TcpLoopRig rig, string side)
    {
        await rig.WaitUntilAsync(() => rig.Counters.Active == 0, "the connection to close");
        Assert.True(rig.Logged(106, "reset by the " + side), rig.Logs.Dump());
        Assert.Equal(1, rig.Counters.Reset);
        Assert.Equal(0, rig.Counters.Completed);
        Assert.Equal(0, rig.Loop.PipesRented);
    }
}
