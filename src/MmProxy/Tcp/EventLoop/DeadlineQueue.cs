namespace MmProxy.Tcp.EventLoop;

/// <summary>
/// Deadlines of one kind, earliest first: an intrusive doubly linked list, O(1) enqueue, removal
/// and expiry. Every timeout of a kind has one fixed duration, so appending keeps the order
/// (<see cref="Enqueue"/>); only lazily re-armed idle deadlines need <see cref="Insert"/>, which
/// walks back from the tail (they almost always belong there). Not thread-safe: one loop thread.
/// </summary>
internal sealed class DeadlineQueue
{
    private DeadlineNode? _head;
    private DeadlineNode? _tail;

    public int Count { get; private set; }

    /// <summary>The earliest deadline, or null when empty.</summary>
    public long? NextDeadline => _head?.Deadline;

    /// <summary>Appends; the caller guarantees no queued deadline is later (fixed duration, monotonic clock).</summary>
    public void Enqueue(DeadlineNode node, long deadline)
    {
        ArgumentNullException.ThrowIfNull(node);
        Remove(node);
        node.Deadline = deadline;
        Link(node, _tail);
    }

    /// <summary>Adds in deadline order (after equal deadlines).</summary>
    public void Insert(DeadlineNode node, long deadline)
    {
        ArgumentNullException.ThrowIfNull(node);
        Remove(node);
        node.Deadline = deadline;
        DeadlineNode? after = _tail;
        while (after is not null && after.Deadline > deadline)
        {
            after = after.Previous;
        }

        Link(node, after);
    }

    /// <summary>Takes the node out if it is in this queue; otherwise does nothing.</summary>
    public void Remove(DeadlineNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.Queue != this)
        {
            return;
        }

        if (node.Previous is null)
        {
            _head = node.Next;
        }
        else
        {
            node.Previous.Next = node.Next;
        }

        if (node.Next is null)
        {
            _tail = node.Previous;
        }
        else
        {
            node.Next.Previous = node.Previous;
        }

        node.Previous = null;
        node.Next = null;
        node.Queue = null;
        Count--;
    }

    /// <summary>Removes and returns the head when its deadline is at or before <paramref name="now"/>.</summary>
    public DeadlineNode? DequeueExpired(long now)
    {
        DeadlineNode? head = _head;
        if (head is null || head.Deadline > now)
        {
            return null;
        }

        Remove(head);
        return head;
    }

    private void Link(DeadlineNode node, DeadlineNode? after)
    {
        node.Previous = after;
        node.Next = after is null ? _head : after.Next;
        if (node.Next is null)
        {
            _tail = node;
        }
        else
        {
            node.Next.Previous = node;
        }

        if (after is null)
        {
            _head = node;
        }
        else
        {
            after.Next = node;
        }

        node.Queue = this;
        Count++;
    }
}
