using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MmProxy.Interop;
using MmProxy.Tcp;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>
/// Relay semantics over real loopback sockets: client ⇄ [relay] ⇄ server. Runs once per pump (see
/// <see cref="CopyRelayPumpTests"/>, <see cref="SpliceRelayPumpTests"/>): the relay does not depend
/// on how bytes move. A pump with resources of its own checks them in <see cref="AssertPumpIdle"/>.
/// </summary>
public abstract class TcpRelayTests : IAsyncLifetime
{
    private protected abstract RelayPump Pump { get; }

    private protected Socket Client { get; private set; } = null!;

    private protected Socket ProxyClientSide { get; private set; } = null!;

    private protected Socket Server { get; private set; } = null!;

    private protected TcpRelay Relay { get; private set; } = null!;

    private Socket _proxyUpstreamSide = null!;

    public async Task InitializeAsync()
    {
        (Client, ProxyClientSide) = await Loopback.CreatePairAsync();
        (_proxyUpstreamSide, Server) = await Loopback.CreatePairAsync();
        Relay = new TcpRelay(ProxyClientSide, _proxyUpstreamSide, Pump);
    }

    public virtual Task DisposeAsync()
    {
        Relay.Dispose();
        Client.Dispose();
        Server.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Called once a relay has ended: the pump holds nothing for it any more.</summary>
    protected virtual void AssertPumpIdle()
    {
    }

    [Fact]
    public async Task Large_transfers_arrive_byte_exact_in_both_directions_at_once()
    {
        byte[] up = RandomNumberGenerator.GetBytes(24 * 1024 * 1024 + 17);
        byte[] down = RandomNumberGenerator.GetBytes(16 * 1024 * 1024 + 5);
        Task<RelayResult> relay = Relay.RunAsync().AsTask();

        Task<byte[]> serverReads = Loopback.ReadToEndAsync(Server);
        Task<byte[]> clientReads = Loopback.ReadToEndAsync(Client);
        Task clientWrites = Task.Run(async () => { await Loopback.SendAllAsync(Client, up); Client.Shutdown(SocketShutdown.Send); });
        Task serverWrites = Task.Run(async () => { await Loopback.SendAllAsync(Server, down); Server.Shutdown(SocketShutdown.Send); });

        await Task.WhenAll(clientWrites, serverWrites).WaitAsync(Loopback.Deadline);
        Assert.Equal(SHA256.HashData(up), SHA256.HashData(await serverReads));
        Assert.Equal(SHA256.HashData(down), SHA256.HashData(await clientReads));

        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.True(result.Completed);
        Assert.Null(result.FailedSide);
        Assert.Equal(up.Length, result.BytesToUpstream);
        Assert.Equal(down.Length, result.BytesToClient);
        AssertPumpIdle();
    }

    [Fact]
    public Task Client_fin_half_closes_upstream_and_the_response_still_flows() => HalfCloseAsync(Client, Server, RelayDirection.ToUpstream);

    [Fact]
    public Task Upstream_fin_half_closes_the_client_and_the_request_still_flows() => HalfCloseAsync(Server, Client, RelayDirection.ToClient);

    /// <summary><paramref name="first"/> sends a few bytes and FIN; its peer still answers with a bulk transfer.</summary>
    private async Task HalfCloseAsync(Socket first, Socket peer, RelayDirection firstDirection)
    {
        Task<RelayResult> relay = Relay.RunAsync().AsTask();
        await Loopback.SendAllAsync(first, Encoding.ASCII.GetBytes("hello"));
        first.Shutdown(SocketShutdown.Send);

        // The peer sees the bytes, then EOF (shutdown(SHUT_WR) was passed on) ...
        Assert.Equal("hello", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(peer)));
        Assert.False(relay.IsCompleted);

        // ... and can still answer: the other direction keeps flowing.
        byte[] answer = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
        Task<byte[]> firstReads = Loopback.ReadToEndAsync(first);
        await Loopback.SendAllAsync(peer, answer);
        peer.Shutdown(SocketShutdown.Send);
        Assert.Equal(answer, await firstReads);

        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.True(result.Completed);
        Assert.Equal(5, firstDirection == RelayDirection.ToUpstream ? result.BytesToUpstream : result.BytesToClient);
        AssertPumpIdle();
    }

    [Fact]
    public async Task Client_reset_resets_the_upstream()
    {
        Task<RelayResult> relay = Relay.RunAsync().AsTask();
        await Loopback.SendAllAsync(Client, Encoding.ASCII.GetBytes("x"));
        Assert.Equal("x", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(Server, 1)));
        Loopback.Reset(Client);

        await Loopback.AssertResetAsync(Server);
        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.False(result.Completed);
        Assert.Equal("client", result.FailedSide);
        AssertPumpIdle();
    }

    [Fact]
    public async Task Upstream_reset_resets_the_client()
    {
        Task<RelayResult> relay = Relay.RunAsync().AsTask();
        Loopback.Reset(Server);

        await Loopback.AssertResetAsync(Client);
        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.Equal("upstream", result.FailedSide);
        AssertPumpIdle();
    }

    [Fact]
    public async Task Upstream_reset_while_data_flows_resets_the_client()
    {
        Task<RelayResult> relay = Relay.RunAsync().AsTask();
        byte[] chunk = RandomNumberGenerator.GetBytes(256 * 1024);
        await Loopback.SendAllAsync(Client, chunk);
        await Loopback.ReadExactlyAsync(Server, chunk.Length);
        Loopback.Reset(Server);

        // The client keeps sending into a relay whose upstream is gone: it must see a reset. The
        // kernel reports a reset once, to whichever of the client's send or receive comes first.
        SocketError sendError = SocketError.Success;
        try
        {
            for (int i = 0; i < 1000; i++)
            {
                await Loopback.SendAllAsync(Client, chunk);
            }
        }
        catch (SocketException ex)
        {
            sendError = ex.SocketErrorCode;
        }

        Assert.NotEqual(SocketError.Success, sendError);
        if (sendError != SocketError.ConnectionReset)
        {
            await Loopback.AssertResetAsync(Client);
        }

        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.Equal("upstream", result.FailedSide);
        AssertPumpIdle();
    }

    [Fact]
    public async Task A_reset_whose_error_was_already_consumed_is_not_passed_on_as_fin()
    {
        // The client resets; a write on the proxy's side consumes the ECONNRESET (as the other
        // direction's write would), so reading that socket now returns 0 like a FIN would.
        Loopback.Reset(Client);
        Assert.True(SpinWait.SpinUntil(() => SpliceTcpState.Get(ProxyClientSide) == SpliceTcpState.Close, Loopback.Deadline));
        Assert.Throws<SocketException>(() => ProxyClientSide.Send([1]));

        RelayResult result = await Relay.RunAsync().AsTask().WaitAsync(Loopback.Deadline);
        Assert.Equal("client", result.FailedSide);
        await Loopback.AssertResetAsync(Server);
        AssertPumpIdle();
    }

    [Fact]
    public async Task Client_reset_during_a_download_resets_the_upstream_not_fin()
    {
        // The server has queued megabytes for the client, which reads them at full speed and resets
        // halfway. The relay's next send to the client takes the ECONNRESET, so its read of the
        // client then sees 0, as if the client had sent FIN: the upstream must still get a reset.
        Task<RelayResult> relay = Relay.RunAsync().AsTask();
        FillUntilBlocked(Server);
        long downloaded = 0;
        Task clientReads = Task.Run(async () =>
        {
            byte[] buffer = new byte[64 * 1024];
            try
            {
                while (await Client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None) is int n and > 0)
                {
                    Interlocked.Add(ref downloaded, n);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // The reset below closes the client under this read.
            }
        });
        Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref downloaded) >= 256 * 1024, Loopback.Deadline), "the download did not start");
        Loopback.Reset(Client);
        await clientReads.WaitAsync(Loopback.Deadline);

        // The relay did not pass a FIN on (it may have lost the race to its own abort, which resets
        // the upstream anyway) ...
        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.NotEqual(PumpOutcome.Completed, result.ToUpstream.Outcome);
        Assert.Equal("client", result.FailedSide);

        // ... and the server, with no send of its own pending that could take the reset, reads it.
        await Loopback.AssertResetAsync(Server);
        AssertPumpIdle();
    }

    /// <summary>Writes without blocking until the socket's send buffer is full (the relay's path behind it is too).</summary>
    private static void FillUntilBlocked(Socket socket)
    {
        byte[] chunk = RandomNumberGenerator.GetBytes(256 * 1024);
        socket.Blocking = false;
        long deadline = Environment.TickCount64 + (long)Loopback.Deadline.TotalMilliseconds;
        SocketError error;
        do
        {
            Assert.True(Environment.TickCount64 < deadline, "the send buffer never filled up");
            socket.Send(chunk, 0, chunk.Length, SocketFlags.None, out error);
        }
        while (error == SocketError.Success);

        Assert.Equal(SocketError.WouldBlock, error);
    }

    [Fact]
    public async Task Reset_after_a_half_close_still_resets_the_other_side()
    {
        Task<RelayResult> relay = Relay.RunAsync().AsTask();
        Client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await Loopback.ReadToEndAsync(Server));

        // The server resets while the client waits for a response.
        Loopback.Reset(Server);
        await Loopback.AssertResetAsync(Client);
        Assert.Equal("upstream", (await relay.WaitAsync(Loopback.Deadline)).FailedSide);
        AssertPumpIdle();
    }

    [Fact]
    public async Task Prefix_bytes_reach_the_upstream_before_anything_else()
    {
        Assert.True(await Relay.SendPrefixAsync(Encoding.ASCII.GetBytes("leftover|")));
        Task<RelayResult> relay = Relay.RunAsync().AsTask();
        await Loopback.SendAllAsync(Client, Encoding.ASCII.GetBytes("rest"));
        Client.Shutdown(SocketShutdown.Send);

        Assert.Equal("leftover|rest", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(Server)));
        Server.Shutdown(SocketShutdown.Send);
        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.True(result.Completed);
        Assert.Equal(13, result.BytesToUpstream);
        AssertPumpIdle();
    }

    [Fact]
    public async Task Idle_timeout_resets_both_sides()
    {
        Relay.StartIdleTimer(TimeSpan.FromMilliseconds(200));
        Task<RelayResult> relay = Relay.RunAsync().AsTask();

        await Loopback.AssertResetAsync(Client);
        await Loopback.AssertResetAsync(Server);
        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.True(result.IdleTimedOut);
        Assert.False(result.Completed);
        AssertPumpIdle();
    }

    [Fact]
    public async Task Traffic_keeps_an_idle_timer_from_firing_and_silence_then_fires_it()
    {
        var time = new ManualTimeProvider();
        using var relay = new TcpRelay(ProxyClientSide, _proxyUpstreamSide, Pump, time);
        relay.StartIdleTimer(TimeSpan.FromSeconds(1));
        Task<RelayResult> running = relay.RunAsync().AsTask();
        byte[] one = [1];
        for (int i = 0; i < 5; i++)
        {
            // 5 × 0.9 s of virtual time, with traffic in between: never 1 s idle.
            time.Advance(TimeSpan.FromMilliseconds(900));
            Assert.False(relay.IsAborted);
            await Loopback.SendAllAsync(Client, one);
            Assert.Equal(one, await Loopback.ReadExactlyAsync(Server, 1));
        }

        time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.False(relay.IsAborted);
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(relay.IsAborted);
        await Loopback.AssertResetAsync(Client);
        Assert.True((await running.WaitAsync(Loopback.Deadline)).IdleTimedOut);
        AssertPumpIdle();
    }
}
