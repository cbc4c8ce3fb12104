namespace MmProxy.Interop;

/// <summary>
/// Pipes for splice(2), reused across connections: creating a pipe costs two descriptors and two
/// syscalls, so a busy proxy keeps a few idle ones. Only empty pipes may be returned (a pipe that
/// may still hold bytes is disposed instead). Thread-safe; a short lock, no allocation per rent.
/// </summary>
internal sealed class PipePool : IDisposable
{
    private readonly SplicePipe?[] _idle;
    private readonly int _requestedCapacity;
    private readonly Lock _lock = new();
    private int _count;
    private int _rented;
    private bool _disposed;

    public PipePool(int maxIdle, int requestedCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxIdle);
        _idle = new SplicePipe?[maxIdle];
        _requestedCapacity = requestedCapacity;
    }

    /// <summary>Pipes handed out and not yet returned (tests check that every pipe comes back).</summary>
    public int Rented => Volatile.Read(ref _rented);

    /// <summary>Idle pipes kept for reuse.</summary>
    public int Idle
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>An empty pipe, or null with the errno when none can be created (EMFILE, ENFILE).</summary>
    public SplicePipe? Rent(out int errno)
    {
        lock (_lock)
        {
            if (_count > 0)
            {
                SplicePipe pipe = _idle[--_count]!;
                _idle[_count] = null;
                Interlocked.Increment(ref _rented);
                errno = 0;
                return pipe;
            }
        }

        SplicePipe? created = SplicePipe.TryCreate(_requestedCapacity, out errno);
        if (created is not null)
        {
            Interlocked.Increment(ref _rented);
        }

        return created;
    }

    /// <summary>Takes back a pipe; <paramref name="empty"/> false (or a full pool) closes it.</summary>
    public void Return(SplicePipe pipe, bool empty)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        Interlocked.Decrement(ref _rented);
        lock (_lock)
        {
            if (empty && !_disposed && _count < _idle.Length)
            {
                _idle[_count++] = pipe;
                return;
            }
        }

        pipe.Dispose();
    }

    public void Dispose()
    {
        lock (_lock)
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
}
