using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MmProxy.Interop;
using MmProxy.Tcp;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>
/// The relay semantics of <see cref="TcpRelayTests"/> with the splice(2) pump, each test with a pipe
/// pool of its own that must get every pipe back; plus what only splicing does (copy threshold,
/// fallback to a buffered send when the destination is full).
/// </summary>
public sealed class SpliceRelayPumpTests : TcpRelayTests
{
    private readonly PipePool _pipes = new(maxIdle: 4, requestedCapacity: 0);
    private readonly SpliceRelayPump _pump;

    public SpliceRelayPumpTests() => _pump = new SpliceRelayPump(_pipes);

    private protected override RelayPump Pump => _pump;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _pipes.Dispose();
    }

    protected override void AssertPumpIdle() => Assert.Equal(0, _pipes.Rented);

    [Fact]
    public void The_splice_pump_is_available_here() => Assert.IsType<SpliceRelayPump>(RelayPumpFactory.Create("splice"));

    [Fact]
    public async Task A_full_destination_falls_back_to_a_buffered_send_without_losing_bytes()
    {
        // Nobody reads on the server until the socket buffers are full: splice(pipe → socket)
        // returns EAGAIN and the rest goes through a waiting SendAsync. (Tiny SO_RCVBUF values would
        // make loopback crawl on delayed-ACK timers, so the buffers keep their default sizes.)
        byte[] up = RandomNumberGenerator.GetBytes(48 * 1024 * 1024 + 3);
        Task<RelayResult> relay = Relay.RunAsync().AsTask();
        Task clientWrites = Task.Run(async () => { await Loopback.SendAllAsync(Client, up); Client.Shutdown(SocketShutdown.Send); });

        Assert.True(SpinWait.SpinUntil(() => _pump.Fallbacks > 0, Loopback.Deadline), "the destination never filled up");
        byte[] received = await Loopback.ReadToEndAsync(Server);
        await clientWrites.WaitAsync(Loopback.Deadline);
        Assert.Equal(SHA256.HashData(up), SHA256.HashData(received));

        Server.Shutdown(SocketShutdown.Send);
        Assert.True((await relay.WaitAsync(Loopback.Deadline)).Completed);
        AssertPumpIdle();
    }

    [Fact]
    public async Task Small_messages_are_copied_and_an_idle_connection_holds_no_pipe()
    {
        Task<RelayResult> relay = Relay.RunAsync().AsTask();
        byte[] ping = Encoding.ASCII.GetBytes("ping");
        for (int i = 0; i < 3; i++)
        {
            await Loopback.SendAllAsync(Client, ping);
            Assert.Equal(ping, await Loopback.ReadExactlyAsync(Server, ping.Length));
            await Loopback.SendAllAsync(Server, ping);
            Assert.Equal(ping, await Loopback.ReadExactlyAsync(Client, ping.Length));
        }

        // Small messages are copied, not spliced: no pipe is taken, and none is held while idle.
        Assert.Equal(0, _pipes.Rented);
        Assert.Equal(0, _pipes.Idle);

        // A burst larger than the copy threshold is spliced; afterwards the pipe goes back to the pool.
        byte[] burst = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        Task<byte[]> serverReads = Loopback.ReadExactlyAsync(Server, burst.Length);
        await Loopback.SendAllAsync(Client, burst);
        Assert.Equal(burst, await serverReads);
        Assert.True(SpinWait.SpinUntil(() => _pipes.Rented == 0, Loopback.Deadline), $"{_pipes.Rented} pipe(s) still held while idle");
        Assert.Equal(1, _pipes.Idle);
        Assert.False(relay.IsCompleted);

        Client.Shutdown(SocketShutdown.Send);
        Server.Shutdown(SocketShutdown.Send);
        Assert.True((await relay.WaitAsync(Loopback.Deadline)).Completed);
    }
}
