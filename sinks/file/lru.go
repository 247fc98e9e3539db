package file

// lruList is an intrusive doubly linked list: moving an entry to the front
// on every message allocates nothing.
type lruList struct {
	head, tail *entry
	len        int
}

func (l *lruList) pushFront(e *entry) {
	e.prev, e.next = nil, l.head
	if l.head != nil {
		l.head.prev = e
	} else {
		l.tail = e
	}
	l.head = e
	l.len++
}

func (l *lruList) remove(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next = nil, nil
	l.len--
}

func (l *lruList) moveToFront(e *entry) {
	if l.head != e {
		l.remove(e)
		l.pushFront(e)
	}
}
