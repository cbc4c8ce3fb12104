using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MmProxy.Tcp;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>Relay semantics with the copy pump.</summary>
public sealed class CopyTcpRelayTests : TcpRelayTests
{
    private protected override RelayPump Pump => CopyRelayPump.Instance;
}

/// <summary>The same semantics with the splice(2) pump: the relay does not depend on how bytes move.</summary>
public sealed class SpliceTcpRelayTests : TcpRelayTests
{
    private static readonly RelayPump SplicePump = RelayPumpFactory.Create("splice");

    private protected override RelayPump Pump => SplicePump;

    [Fact]
    public void The_splice_pump_is_available_here() => Assert.IsType<SpliceRelayPump>(SplicePump);
}

/// <summary>Relay semantics over real loopback sockets: client ⇄ [relay] ⇄ server, for each pump.</summary>
public abstract class TcpRelayTests : IAsyncLifetime
{
    private Socket _client = null!;
    private Socket _proxyClientSide = null!;
    private Socket _proxyUpstreamSide = null!;
    private Socket _server = null!;
    private TcpRelay _relay = null!;

    private protected abstract RelayPump Pump { get; }

    public async Task InitializeAsync()
    {
        (_client, _proxyClientSide) = await Loopback.CreatePairAsync();
        (_proxyUpstreamSide, _server) = await Loopback.CreatePairAsync();
        _relay = new TcpRelay(_proxyClientSide, _proxyUpstreamSide, Pump);
    }

    public Task DisposeAsync()
    {
        _relay.Dispose();
        _client.Dispose();
        _server.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Bytes_arrive_intact_in_both_directions_at_once()
    {
        byte[] up = RandomNumberGenerator.GetBytes(4 * 1024 * 1024 + 17);
        byte[] down = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 5);
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
        Assert.Null(result.FailedSide);
        Assert.Equal(up.Length, result.BytesToUpstream);
        Assert.Equal(down.Length, result.BytesToClient);
    }

    [Fact]
    public async Task Client_fin_half_closes_upstream_and_the_response_still_flows()
    {
        Task<RelayResult> relay = _relay.RunAsync().AsTask();
        await Loopback.SendAllAsync(_client, Encoding.ASCII.GetBytes("request"));
        _client.Shutdown(SocketShutdown.Send);

        // The server sees the request, then EOF (shutdown(SHUT_WR) was passed on) ...
        Assert.Equal("request", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(_server)));
        Assert.False(relay.IsCompleted);

        // ... and can still answer: the other direction keeps flowing.
        byte[] response = RandomNumberGenerator.GetBytes(1024 * 1024);
        Task<byte[]> clientReads = Loopback.ReadToEndAsync(_client);
        await Loopback.SendAllAsync(_server, response);
        _server.Shutdown(SocketShutdown.Send);
        Assert.Equal(response, await clientReads);

        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.True(result.Completed);
    }

    [Fact]
    public async Task Upstream_fin_half_closes_the_client_and_the_request_still_flows()
    {
        Task<RelayResult> relay = _relay.RunAsync().AsTask();
        await Loopback.SendAllAsync(_server, Encoding.ASCII.GetBytes("banner"));
        _server.Shutdown(SocketShutdown.Send);
        Assert.Equal("banner", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(_client)));
        Assert.False(relay.IsCompleted);

        byte[] upload = RandomNumberGenerator.GetBytes(1024 * 1024);
        Task<byte[]> serverReads = Loopback.ReadToEndAsync(_server);
        await Loopback.SendAllAsync(_client, upload);
        _client.Shutdown(SocketShutdown.Send);
        Assert.Equal(upload, await serverReads);

        Assert.True((await relay.WaitAsync(Loopback.Deadline)).Completed);
    }

    [Fact]
    public async Task Client_reset_resets_the_upstream()
    {
        Task<RelayResult> relay = _relay.RunAsync().AsTask();
        await Loopback.SendAllAsync(_client, Encoding.ASCII.GetBytes("x"));
        Assert.Equal("x", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(_server, 1)));
        Loopback.Reset(_client);

        await Loopback.AssertResetAsync(_server);
        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.False(result.Completed);
        Assert.Equal("client", result.FailedSide);
    }

    [Fact]
    public async Task Upstream_reset_resets_the_client()
    {
        Task<RelayResult> relay = _relay.RunAsync().AsTask();
        Loopback.Reset(_server);

        await Loopback.AssertResetAsync(_client);
        RelayResult result = await relay.WaitAsync(Loopback.Deadline);
        Assert.Equal("upstream", result.FailedSide);
    }

    [Fact]
    public async Task Reset_after_a_half_close_still_resets_the_other_side()
    {
        Task<RelayResult> relay = _relay.RunAsync().AsTask();
        _client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await Loopback.ReadToEndAsync(_server));

        // The server resets while the client waits for a response.
        Loopback.Reset(_server);
        await Loopback.AssertResetAsync(_client);
        Assert.Equal("upstream", (await relay.WaitAsync(Loopback.Deadline)).FailedSide);
    }

    [Fact]
    public async Task Prefix_bytes_reach_the_upstream_before_anything_else()
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
        Assert.False(result.Completed);
    }

    [Fact]
    public async Task Traffic_keeps_an_idle_timer_from_firing_and_silence_then_fires_it()
    {
        var time = new ManualTimeProvider();
        using var relay = new TcpRelay(_proxyClientSide, _proxyUpstreamSide, Pump, time);
        relay.StartIdleTimer(TimeSpan.FromSeconds(1));
        Task<RelayResult> running = relay.RunAsync().AsTask();
        byte[] one = [1];
        for (int i = 0; i < 5; i++)
        {
            // 5 × 0.9 s of virtual time, with traffic in between: never 1 s idle.
            time.Advance(TimeSpan.FromMilliseconds(900));
            Assert.False(relay.IsAborted);
            await Loopback.SendAllAsync(_client, one);
            Assert.Equal(one, await Loopback.ReadExactlyAsync(_server, 1));
        }

        time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.False(relay.IsAborted);
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(relay.IsAborted);
        await Loopback.AssertResetAsync(_client);
        Assert.True((await running.WaitAsync(Loopback.Deadline)).IdleTimedOut);
    }
}
