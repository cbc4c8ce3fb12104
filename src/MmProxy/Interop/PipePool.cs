namespace MmProxy.Interop;

/// <summary>
/// Pipes for splice(2), reused across connections: creating a pipe costs two descriptors and two
/// system calls, so a busy loop keeps a few idle ones. Only empty pipes may be returned (a pipe that
/// may still hold bytes is closed instead). Owned by one loop thread; <see cref="Rented"/> may be
/// read from any thread (tests check that every pipe comes back).
/// </summary>
internal sealed class PipePool : IDisposable
{
    private readonly SplicePipe?[] _idle;
    private readonly int _requestedCapacity;
    private int _count;
    private int _rented;
    private bool _disposed;

    public PipePool(int maxIdle, int requestedCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxIdle);
        _idle = new SplicePipe?[maxIdle];
        _requestedCapacity = requestedCapacity;
    }

    /// <summary>Pipes handed out and not yet returned.</summary>
    public int Rented => Volatile.Read(ref _rented);

    /// <summary>Idle pipes kept for reuse.</summary>
    public int Idle => _count;

    /// <summary>An empty pipe, or null with the errno when none can be created (EMFILE, ENFILE).</summary>
    public SplicePipe? Rent(out Errno errno)
    {
        errno = Errno.Success;
        SplicePipe? pipe;
        if (_count > 0)
        {
            pipe = _idle[--_count];
            _idle[_count] = null;
        }
        else
        {
            pipe = SplicePipe.TryCreate(_requestedCapacity, out errno);
        }

        if (pipe is not null)
        {
            Volatile.Write(ref _rented, _rented + 1);
        }

        return pipe;
    }

    /// <summary>Takes back a pipe; <paramref name="empty"/> false (or a full pool) closes it.</summary>
    public void Return(SplicePipe pipe, bool empty)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        Volatile.Write(ref _rented, _rented - 1);
        if (empty && !_disposed && _count < _idle.Length)
        {
            _idle[_count++] = pipe;
            return;
        }

        pipe.Dispose();
    }

    public void Dispose()
    {
        _disposed = true;
        for (int i = 0; i < _count; i++)
        {
            _idle[i]!.Dispose();
            _idle[i] = null;
        }

        _count = 0;
    }
}
