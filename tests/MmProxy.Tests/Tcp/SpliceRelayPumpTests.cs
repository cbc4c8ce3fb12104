using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MmProxy.Interop;
using MmProxy.Tcp;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>The splice(2) relay over real loopback sockets: client ⇄ [relay + splice pump] ⇄ server.</summary>
public sealed class SpliceRelayPumpTests : IAsyncLifetime
{
    private readonly PipePool _pipes = new(maxIdle: 4, requestedCapacity: 0);
    private SpliceRelayPump _pump = null!;
    private Socket _client = null!;
    private Socket _proxyClientSide = null!;
    private Socket _proxyUpstreamSide = null!;
    private Socket _server = null!;
    private TcpRelay _relay = null!;

    public async Task InitializeAsync()
    {
        _pump = new SpliceRelayPump(_pipes);
        (_client, _proxyClientSide) = await Loopback.CreatePairAsync();
        (_proxyUpstreamSide, _server) = await Loopback.CreatePairAsync();
        _relay = new TcpRelay(_proxyClientSide, _proxyUpstreamSide, _pump);
    }

    public Task DisposeAsync()
    {
        _relay.Dispose();
        _client.Dispose();
        _server.Dispose();
        _pipes.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Large_transfers_arrive_byte_exact_in_both_directions_at_once()
    {
        byte[] up = RandomNumberGenerator.GetBytes(24 * 1024 * 1024 + 17);
        byte[] down = RandomNumberGenerator.GetBytes(16 * 1024 * 1024 + 5);
        Task<RelayResult> relay = _relay.RunAsync().AsTask();

        Task<byte[]> serverReads = Loopback.ReadToEndAsync(_server);
        Task<byte[]> clientReads = Loopback.ReadToEndAsync(_client);
        Task clientWrites = Task.Run(async () => { await Loopback.SendAllAsync(_client, up); _client.Shutdown(SocketShutdown.Send); });
        Task serverWrites = Task.Run(async () => { await Loopback.SendAllAsync(_server, down); _server.Shutdown(SocketShutdown.Send); });

        await Task.WhenAll(clientWrites, serverWrites).WaitAsync(Loopback.Deadline);
        Assert.Equal(SHA256.HashData(up), SHA256.HashData(await serverReads));
        Assert.Equal(SHA256.HashData(down), SHA256.HashData(await clientReads));

        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.True(result.Completed);
        Assert.Equal(up.Length, result.BytesToUpstream);
        Assert.Equal(down.Length, result.BytesToClient);
        Assert.Equal(0, _pipes.Rented);
    }

    [Fact]
    public async Task A_full_destination_falls_back_to_a_buffered_send_without_losing_bytes()
    {
        // Nobody reads on the server until the socket buffers are full: splice(pipe → socket)
        // returns EAGAIN and the rest goes through a waiting SendAsync. (Tiny SO_RCVBUF values would
        // make loopback crawl on delayed-ACK timers, so the buffers keep their default sizes.)
        byte[] up = RandomNumberGenerator.GetBytes(48 * 1024 * 1024 + 3);
        Task<RelayResult> relay = _relay.RunAsync().AsTask();
        Task clientWrites = Task.Run(async () => { await Loopback.SendAllAsync(_client, up); _client.Shutdown(SocketShutdown.Send); });

        Assert.True(SpinWait.SpinUntil(() => _pump.Fallbacks > 0, Loopback.Deadline), "the destination never filled up");
        byte[] received = await Loopback.ReadToEndAsync(_server);
        await clientWrites.WaitAsync(Loopback.Deadline);
        Assert.Equal(SHA256.HashData(up), SHA256.HashData(received));

        _server.Shutdown(SocketShutdown.Send);
        Assert.True((await relay.WaitAsync(Loopback.Deadline)).Completed);
        Assert.Equal(0, _pipes.Rented);
    }

    [Fact]
    public async Task Client_fin_half_closes_upstream_and_the_response_still_flows()
    {
        Task<RelayResult> relay = _relay.RunAsync().AsTask();
        await Loopback.SendAllAsync(_client, Encoding.ASCII.GetBytes("request"));
        _client.Shutdown(SocketShutdown.Send);

        Assert.Equal("request", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(_server)));
        Assert.False(relay.IsCompleted);

        byte[] response = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
        Task<byte[]> clientReads = Loopback.ReadToEndAsync(_client);
        await Loopback.SendAllAsync(_server, response);
        _server.Shutdown(SocketShutdown.Send);
        Assert.Equal(response, await clientReads);

        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.True(result.Completed);
        Assert.Equal(7, result.BytesToUpstream);
    }

    [Fact]
    public async Task Upstream_fin_half_closes_the_client_and_the_request_still_flows()
    {
        Task<RelayResult> relay = _relay.RunAsync().AsTask();
        await Loopback.SendAllAsync(_server, Encoding.ASCII.GetBytes("banner"));
        _server.Shutdown(SocketShutdown.Send);
        Assert.Equal("banner", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(_client)));
        Assert.False(relay.IsCompleted);

        byte[] upload = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
        Task<byte[]> serverReads = Loopback.ReadToEndAsync(_server);
        await Loopback.SendAllAsync(_client, upload);
        _client.Shutdown(SocketShutdown.Send);
        Assert.Equal(upload, await serverReads);

        Assert.True((await relay.WaitAsync(Loopback.Deadline)).Completed);
    }

    [Fact]
    public async Task Client_reset_resets_the_upstream_and_returns_the_pipes()
    {
        Task<RelayResult> relay = _relay.RunAsync().AsTask();
        await Loopback.SendAllAsync(_client, Encoding.ASCII.GetBytes("x"));
        Assert.Equal("x", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(_server, 1)));
        Loopback.Reset(_client);

        await Loopback.AssertResetAsync(_server);
        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.False(result.Completed);
        Assert.Equal("client", result.FailedSide);
        Assert.Equal(0, _pipes.Rented);
    }

    [Fact]
    public async Task Upstream_reset_while_data_flows_resets_the_client()
    {
        Task<RelayResult> relay = _relay.RunAsync().AsTask();
        byte[] chunk = RandomNumberGenerator.GetBytes(256 * 1024);
        await Loopback.SendAllAsync(_client, chunk);
        await Loopback.ReadExactlyAsync(_server, chunk.Length);
        Loopback.Reset(_server);

        // The client keeps sending into a relay whose upstream is gone: it must see a reset. The
        // kernel reports a reset once, to whichever of the client's send or receive comes first.
        SocketError sendError = SocketError.Success;
        try
        {
            for (int i = 0; i < 1000; i++)
            {
                await Loopback.SendAllAsync(_client, chunk);
            }
        }
        catch (SocketException ex)
        {
            sendError = ex.SocketErrorCode;
        }

        Assert.NotEqual(SocketError.Success, sendError);
        if (sendError != SocketError.ConnectionReset)
        {
            await Loopback.AssertResetAsync(_client);
        }

        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.Equal("upstream", result.FailedSide);
        Assert.Equal(0, _pipes.Rented);
    }

    [Fact]
    public async Task A_reset_whose_error_was_already_consumed_is_not_passed_on_as_fin()
    {
        // The client resets; a write on the proxy's side consumes the ECONNRESET (as the other
        // direction's write would), so reading that socket now returns 0 like a FIN would.
        Loopback.Reset(_client);
        Assert.True(SpinWait.SpinUntil(() => SpliceTcpState.Get(_proxyClientSide) == SpliceTcpState.Close, Loopback.Deadline));
        Assert.Throws<SocketException>(() => _proxyClientSide.Send([1]));

        RelayResult result = await _relay.RunAsync().AsTask().WaitAsync(Loopback.Deadline);
        Assert.Equal("client", result.FailedSide);
        await Loopback.AssertResetAsync(_server);
    }

    [Fact]
    public async Task Reset_after_a_half_close_still_resets_the_other_side()
    {
        Task<RelayResult> relay = _relay.RunAsync().AsTask();
        _client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await Loopback.ReadToEndAsync(_server));

        Loopback.Reset(_server);
        await Loopback.AssertResetAsync(_client);
        Assert.Equal("upstream", (await relay.WaitAsync(Loopback.Deadline)).FailedSide);
    }

    [Fact]
    public async Task Small_messages_are_copied_and_an_idle_connection_holds_no_pipe()
    {
        Task<RelayResult> relay = _relay.RunAsync().AsTask();
        byte[] ping = Encoding.ASCII.GetBytes("ping");
        for (int i = 0; i < 3; i++)
        {
            await Loopback.SendAllAsync(_client, ping);
            Assert.Equal(ping, await Loopback.ReadExactlyAsync(_server, ping.Length));
            await Loopback.SendAllAsync(_server, ping);
            Assert.Equal(ping, await Loopback.ReadExactlyAsync(_client, ping.Length));
        }

        // Small messages are copied, not spliced: no pipe is taken, and none is held while idle.
        Assert.Equal(0, _pipes.Rented);
        Assert.Equal(0, _pipes.Idle);

        // A burst larger than the copy threshold is spliced; afterwards the pipe goes back to the pool.
        byte[] burst = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        Task<byte[]> serverReads = Loopback.ReadExactlyAsync(_server, burst.Length);
        await Loopback.SendAllAsync(_client, burst);
        Assert.Equal(burst, await serverReads);
        Assert.True(SpinWait.SpinUntil(() => _pipes.Rented == 0, Loopback.Deadline), $"{_pipes.Rented} pipe(s) still held while idle");
        Assert.Equal(1, _pipes.Idle);
        Assert.False(relay.IsCompleted);

        _client.Shutdown(SocketShutdown.Send);
        _server.Shutdown(SocketShutdown.Send);
        Assert.True((await relay.WaitAsync(Loopback.Deadline)).Completed);
    }

    [Fact]
    public async Task Prefix_bytes_reach_the_upstream_before_spliced_bytes()
    {
        Assert.True(await _relay.SendPrefixAsync(Encoding.ASCII.GetBytes("leftover|")));
        Task<RelayResult> relay = _relay.RunAsync().AsTask();
        await Loopback.SendAllAsync(_client, Encoding.ASCII.GetBytes("rest"));
        _client.Shutdown(SocketShutdown.Send);

        Assert.Equal("leftover|rest", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(_server)));
        _server.Shutdown(SocketShutdown.Send);
        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.True(result.Completed);
        Assert.Equal(13, result.BytesToUpstream);
    }

    [Fact]
    public async Task Idle_timeout_resets_both_sides()
    {
        _relay.StartIdleTimer(TimeSpan.FromMilliseconds(200));
        Task<RelayResult> relay = _relay.RunAsync().AsTask();

        await Loopback.AssertResetAsync(_client);
        await Loopback.AssertResetAsync(_server);
        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.True(result.IdleTimedOut);
        Assert.Equal(0, _pipes.Rented);
    }
}
