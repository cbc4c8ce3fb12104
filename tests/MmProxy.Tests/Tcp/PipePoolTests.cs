using MmProxy.Interop;

namespace MmProxy.Tests.Tcp;

public sealed class PipePoolTests
{
    [Fact]
    public void A_returned_empty_pipe_is_handed_out_again()
    {
        using var pool = new PipePool(maxIdle: 2, requestedCapacity: 0);
        SplicePipe first = pool.Rent(out Errno errno) ?? throw new InvalidOperationException($"pipe2 failed: errno {errno}");
        Assert.Equal(1, pool.Rented);
        Assert.True(first.Capacity >= 4096);
        pool.Return(first, empty: true);
        Assert.Equal(0, pool.Rented);
        Assert.Equal(1, pool.Idle);

        SplicePipe second = pool.Rent(out _)!;
        Assert.Same(first, second);
        pool.Return(second, empty: true);
    }

    [Fact]
    public void A_pipe_that_may_hold_bytes_is_closed_not_pooled()
    {
        using var pool = new PipePool(maxIdle: 2, requestedCapacity: 0);
        SplicePipe pipe = pool.Rent(out _)!;
        pool.Return(pipe, empty: false);
        Assert.Equal(0, pool.Idle);
        Assert.Equal(0, pool.Rented);
        Assert.NotSame(pipe, pool.Rent(out _));
    }

    [Fact]
    public void The_pool_keeps_at_most_max_idle_pipes()
    {
        using var pool = new PipePool(maxIdle: 2, requestedCapacity: 0);
        SplicePipe[] pipes = [pool.Rent(out _)!, pool.Rent(out _)!, pool.Rent(out _)!];
        Assert.Equal(3, pool.Rented);
        foreach (SplicePipe pipe in pipes)
        {
            pool.Return(pipe, empty: true);
        }

        Assert.Equal(2, pool.Idle);
        Assert.Equal(0, pool.Rented);
    }

    [Fact]
    public void A_requested_capacity_is_applied()
    {
        using var pool = new PipePool(maxIdle: 1, requestedCapacity: 256 * 1024);
        SplicePipe pipe = pool.Rent(out _)!;
        Assert.Equal(256 * 1024, pipe.Capacity);
        pool.Return(pipe, empty: true);
    }
}
